/**
 * Notes for the terminal UI, over the session's generated NoteService client.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Note, NoteSchema } from "../../gen/m2m/notes/v1/notes_pb.js";
import type { AssistantSession } from "../session.js";
import type { Collection } from "./collection.js";
import { allPages, listChanges } from "./collection-streams.js";
import { escapeLines, firstLine, unescapeLines } from "./text-lines.js";

const pageSize = 100;

/** Notes ordered by create time (then id), oldest first, the order ListNotes uses. */
export function compareNotes(a: Note, b: Note): number {
  return ms(a.createTime) - ms(b.createTime) || a.id.localeCompare(b.id);
}

function ms(ts: Timestamp | undefined): number {
  return ts ? timestampMs(ts) : 0;
}

/** The notes collection: list pages of 100, watch, and create/update/delete from form values. */
export function createNoteCollection(session: AssistantSession): Collection<Note> {
  const { notes } = session;
  return {
    title: "Notes",
    noun: "note",
    service: "notes service",
    url: session.settings.notesUrl,
    header: [{ text: "title", width: 32 }, { text: "description" }],
    async list(signal) {
      const all = await allPages(async (pageToken) => {
        const page = await notes.listNotes({ pageSize, pageToken }, { signal });
        return { items: page.notes, nextPageToken: page.nextPageToken };
      });
      return all.sort(compareNotes);
    },
    watch: (signal, sinceSequence = 0n) => listChanges(notes.watchNotes({ sinceSequence }, { signal }), (message) => message.note),
    compare: compareNotes,
    row: (n) => [{ text: n.title, width: 32 }, { text: firstLine(n.description), dim: true }],
    summary: () => [],
    fields: [
      { name: "title", label: "title" },
      { name: "description", label: "description", placeholder: "\\n for a line break" },
    ],
    formValues: (n) => ({ title: n?.title ?? "", description: escapeLines(n?.description ?? "") }),
    async create(values) {
      const res = await notes.createNote({
        note: { title: values["title"], description: unescapeLines(values["description"] ?? "") },
      });
      return res.note!;
    },
    async update(note, initial, values) {
      const paths: string[] = [];
      // The etag of the copy the form showed: if someone changed the note since, the update fails (ABORTED).
      const patch: MessageInitShape<typeof NoteSchema> = { id: note.id, etag: note.etag };
      if (values["title"] !== initial["title"]) {
        paths.push("title");
        patch.title = values["title"] ?? "";
      }
      if (values["description"] !== initial["description"]) {
        paths.push("description");
        patch.description = unescapeLines(values["description"] ?? "");
      }
      if (paths.length === 0) return undefined;
      const res = await notes.updateNote({ note: patch, updateMask: { paths } });
      return res.note!;
    },
    async remove(note) {
      await notes.deleteNote({ id: note.id });
    },
  };
}
