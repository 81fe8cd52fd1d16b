/**
 * `assistant calendar watch` and `assistant note watch`: each streams changes
 * to a callback until Ctrl-C, resuming a broken stream after the last change
 * it saw (resumable-watch.ts), on whichever replica answers.
 */
import type { WatchEventsResponse } from "../../gen/m2m/calendar/v1/calendar_pb.js";
import type { WatchNotesResponse } from "../../gen/m2m/notes/v1/notes_pb.js";
import type { AssistantSession } from "../session.js";
import { runResumableWatch, type ResumableWatchOptions, type SequencedChange } from "./resumable-watch.js";
import { callService } from "./service-call.js";

/**
 * A watch command: streams changes to `onChange` until `signal` aborts (then resolves), resuming a broken stream
 * and telling `onInterrupted` each time; rejects with a CliError when the watch ends otherwise.
 */
export type WatchCommand<T extends SequencedChange> = (
  session: AssistantSession,
  signal: AbortSignal,
  onChange: (change: T) => void,
  onInterrupted?: ResumableWatchOptions<T>["onInterrupted"],
) => Promise<void>;

/** The watch command of one service: its name and URL for messages, and how to open its stream. */
function watchCommand<T extends SequencedChange>(
  service: string,
  url: (session: AssistantSession) => string,
  open: (session: AssistantSession, sinceSequence: bigint, signal: AbortSignal) => AsyncIterable<T>,
): WatchCommand<T> {
  return (session, signal, onChange, onInterrupted) =>
    callService(service, url(session), () =>
      runResumableWatch({ open: (since, s) => open(session, since, s), signal, onChange, ...(onInterrupted && { onInterrupted }) }),
    );
}

export const watchEvents = watchCommand<WatchEventsResponse>(
  "calendar service",
  (session) => session.settings.calendarUrl,
  (session, sinceSequence, signal) => session.calendar.watchEvents({ sinceSequence }, { signal }),
);

export const watchNotes = watchCommand<WatchNotesResponse>(
  "notes service",
  (session) => session.settings.notesUrl,
  (session, sinceSequence, signal) => session.notes.watchNotes({ sinceSequence }, { signal }),
);
