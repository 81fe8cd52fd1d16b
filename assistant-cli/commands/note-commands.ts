/**
 * `assistant note …`: each command a typed async function that returns data
 * (the printer renders it); watch streams changes to a callback.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Note, NoteSchema, WatchNotesResponse } from "../../gen/m2m/notes/v1/notes_pb.js";
import { CliError } from "../../common/cli-error.js";
import { cliErrorFromRpc } from "../rpc-errors.js";
import type { AssistantSession } from "../session.js";

const service = "notes service";
const pageSize = 100;
/** Unary calls give up after this long (watch streams have no deadline). */
const timeout = { timeoutMs: 10_000 };

async function call<T>(session: AssistantSession, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw cliErrorFromRpc(err, service, session.settings.notesUrl);
  }
}

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
  await call(session, async () => {
    try {
      for await (const change of session.notes.watchNotes({}, { signal })) onChange(change);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
  });
}
