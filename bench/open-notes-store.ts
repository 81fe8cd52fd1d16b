/**
 * The notes service's store on its SQLite file, opened the way the service
 * opens it (migrations included), for the comparison servers of the benchmark.
 */
import { join } from "node:path";
import { createLogger } from "../common/json-logger.js";
import { noteTable } from "../notes/notes-service.js";
import { openResource } from "../service-runtime/resources/open-resource.js";
import { resourceMigrations } from "../service-runtime/resources/resource-table.js";
import { openServiceDatabase } from "../service-runtime/service-database.js";

/** The notes store on `$dataDir/notes.db`. */
export async function openNotesStore(dataDir: string) {
  const logger = createLogger({ component: "bench", level: "error" });
  const database = await openServiceDatabase({ name: "notes", migrations: resourceMigrations(noteTable), sqlitePath: join(dataDir, "notes.db"), postgres: undefined, logger });
  return openResource(database, noteTable, { keep: 10_000 }, logger).store;
}
