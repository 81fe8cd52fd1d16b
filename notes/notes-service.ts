/** The notes service's wiring: its identity, tables, store, change feed and routes. */
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { createChangeFeed } from "../service-runtime/change-feed.js";
import type { ServiceDefinition } from "../service-runtime/run-service.js";
import { createNoteHandlers, type NoteChange } from "./note-handlers.js";
import { createNoteStore, noteSchema } from "./note-store.js";

export const notesService: ServiceDefinition = {
  name: "notes",
  envPrefix: "NOTES",
  defaultPort: 3012,
  defaultAudience: "note-service",
  schema: noteSchema,
  build(db, logger) {
    const feed = createChangeFeed<NoteChange>({ onUnsubscribe: (watchers) => logger.info("watch ended", { watchers }) });
    const handlers = createNoteHandlers(createNoteStore(db), feed);
    return {
      services: [NoteService],
      routes: (router) => router.service(NoteService, handlers),
      stopStreams: () => feed.close(),
    };
  },
};
