/**
 * The notes service: its identity and its table (notes in creation order,
 * oldest first). Its methods are the shared resource methods
 * (service-runtime/resources/); its field rules are in note-input.ts.
 */
import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { NoteSchema, NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { defineResourceService } from "../service-runtime/resources/resource-service.js";
import type { ResourceTable } from "../service-runtime/resources/resource-table.js";
import { noteRules, type NoteFields } from "./note-input.js";

/** Notes: keyset pagination on (create time ms, id). */
export const noteTable: ResourceTable<typeof NoteSchema, NoteFields> = {
  schema: NoteSchema,
  name: "notes",
  noun: "note",
  fieldColumns: { title: "text", description: "text" },
  listIndex: { name: "notes_by_creation", columns: ["create_time_ms", "id"] },
  columnsOf: (fields) => ({ title: fields.title, description: fields.description }),
  fromRow: (common, row) => create(NoteSchema, { ...common, title: String(row["title"]), description: String(row["description"]) }),
  cursorOf: (note) => [timestampMs(note.createTime!), note.id],
};

export const notesService = defineResourceService({
  name: "notes",
  envPrefix: "NOTES",
  defaultPort: 3012,
  defaultAudience: "note-service",
  table: noteTable,
  rules: noteRules,
  service: NoteService,
});
