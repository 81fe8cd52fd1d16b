/**
 * One resource on the service's database: its store on the chosen backend and
 * its live feed. On SQLite the store publishes each change as it commits; on
 * PostgreSQL the change listener publishes what any replica committed. While
 * tracing is on, the calls handlers make are storage spans.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Logger } from "../../common/json-logger.js";
import { createChangeFeed } from "../change-feed.js";
import type { ServiceDatabase } from "../service-database.js";
import { createPostgresResourceStore } from "./postgres-resource-store.js";
import type { ResourceData } from "./resource-methods.js";
import type { ChangeLogOptions, ResourceChange } from "./resource-store.js";
import { traceResourceStore } from "./resource-store-spans.js";
import { createSqliteResourceStore } from "./sqlite-resource-store.js";
import type { ResourceTable } from "./resource-table.js";

/** The store and live feed of `table` on `database`; `unavailable` says when live changes cannot be delivered. */
export function openResource<S extends DescMessage, F>(database: ServiceDatabase, table: ResourceTable<S, F>, changeLog: ChangeLogOptions, logger: Logger): ResourceData<S, F> {
  const feed = createChangeFeed<ResourceChange<MessageShape<S>>>({ onUnsubscribe: (watchers) => logger.info("watch ended", { watchers }) });
  if (database.kind === "sqlite") {
    const store = createSqliteResourceStore(database.db, table, changeLog, (change) => feed.publish(change));
    return { table, store: traceResourceStore(store, table.name, "sqlite"), feed, unavailable: () => undefined };
  }
  const store = createPostgresResourceStore(database.pool, table, changeLog);
  database.listener.follow(table.name, store, feed);
  return { table, store: traceResourceStore(store, table.name, "postgresql"), feed, unavailable: () => database.listener.unavailable() };
}
