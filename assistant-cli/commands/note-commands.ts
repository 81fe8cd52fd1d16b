/**
 * `assistant note …`: each command a typed async function that returns data
 * (the printer renders it); watch streams changes to a callback.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Note, NoteSchema, WatchNotesResponse } from "../../gen/m2m/notes/v1/notes_pb.js";
import { CliError } from "../../common/cli-error.js";
import type { AssistantSession } from "../session.js";
import { callService, listPageSize as pageSize, unaryCall as timeout, watchUntilAborted } from "./service-call.js";

const call = <T>(session: AssistantSession, run: () => Promise<T>) => callService("notes service", session.settings.notesUrl, run);

export async function listNotes(session: AssistantSession, options: { limit?: number }): Promise<Note[]> {
  const notes: Note[] = [];
  let pageToken = "";
  do {
    const size = options.limit === undefined ? pageSize : Math.min(pageSize, options.limit - notes.length);
    const page = await call(session, () => session.notes.listNotes({ pageSize: size, pageToken }, timeout));
    notes.push(...page.notes);
    pageToken = page.nextPageToken;
  } while (pageToken !== "" && (options.limit === undefined || notes.length < options.limit));
  return notes;
}

export async function getNote(session: AssistantSession, id: string): Promise<Note> {
  return (await call(session, () => session.notes.getNote({ id }, timeout))).note!;
}

export async function addNote(session: AssistantSession, title: string, options: { description?: string }): Promise<Note> {
  const note = { title, description: options.description ?? "" };
  return (await call(session, () => session.notes.createNote({ note }, timeout))).note!;
}

/** Changes only the fields given (the update mask lists exactly those). */
export async function updateNote(session: AssistantSession, id: string, options: { title?: string; description?: string }): Promise<Note> {
  const paths: string[] = [];
  const note: MessageInitShape<typeof NoteSchema> = { id };
  if (options.title !== undefined) (note.title = options.title), paths.push("title");
  if (options.description !== undefined) (note.description = options.description), paths.push("description");
  if (paths.length === 0) throw new CliError("usage", "nothing to update: give --title or --description");
  return (await call(session, () => session.notes.updateNote({ note, updateMask: { paths } }, timeout))).note!;
}

export async function deleteNote(session: AssistantSession, id: string): Promise<{ id: string }> {
  await call(session, () => session.notes.deleteNote({ id }, timeout));
  return { id };
}

/** Streams changes until `signal` aborts; resolves then, rejects with a CliError if the stream fails. */
export async function watchNotes(session: AssistantSession, signal: AbortSignal, onChange: (change: WatchNotesResponse) => void): Promise<void> {
  await call(session, () => watchUntilAborted(session.notes.watchNotes({}, { signal }), signal, onChange));
}
