/**
 * `assistant note …`: each command a typed async function that returns data
 * (the printer renders it); watch is in watch-commands.ts.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Note, NoteSchema } from "../../gen/m2m/notes/v1/notes_pb.js";
import { CliError } from "../../common/cli-error.js";
import type { AssistantSession } from "../session.js";
import { callService, collectPages, unaryCall as timeout } from "./service-call.js";

const call = <T>(session: AssistantSession, run: () => Promise<T>) => callService("notes service", session.settings.notesUrl, run);

export async function listNotes(session: AssistantSession, options: { limit?: number }): Promise<Note[]> {
  return collectPages(options.limit, async (pageSize, pageToken) => {
    const page = await call(session, () => session.notes.listNotes({ pageSize, pageToken }, timeout));
    return { items: page.notes, nextPageToken: page.nextPageToken };
  });
}

export async function getNote(session: AssistantSession, id: string): Promise<Note> {
  return (await call(session, () => session.notes.getNote({ id }, timeout))).note!;
}

export async function addNote(session: AssistantSession, title: string, options: { description?: string }): Promise<Note> {
  const note = { title, description: options.description ?? "" };
  return (await call(session, () => session.notes.createNote({ note }, timeout))).note!;
}

/** Changes only the fields given (the update mask lists exactly those). */
export async function updateNote(session: AssistantSession, id: string, options: { title?: string; description?: string; ifMatch?: string }): Promise<Note> {
  const paths: string[] = [];
  // With the etag the caller read, the update fails (ABORTED) if the note changed since.
  const note: MessageInitShape<typeof NoteSchema> = { id, etag: options.ifMatch ?? "" };
  if (options.title !== undefined) (note.title = options.title), paths.push("title");
  if (options.description !== undefined) (note.description = options.description), paths.push("description");
  if (paths.length === 0) throw new CliError("usage", "nothing to update: give --title or --description");
  return (await call(session, () => session.notes.updateNote({ note, updateMask: { paths } }, timeout))).note!;
}

/** Deletes the note; with `ifMatch`, only if its etag is still that one (else ABORTED). */
export async function deleteNote(session: AssistantSession, id: string, options: { ifMatch?: string } = {}): Promise<{ id: string }> {
  await call(session, () => session.notes.deleteNote({ id, etag: options.ifMatch ?? "" }, timeout));
  return { id };
}
