/**
 * `assistant calendar …`: each command a typed async function that returns
 * data (the printer renders it); watch is in watch-commands.ts.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Event, EventSchema } from "../../gen/m2m/calendar/v1/calendar_pb.js";
import { CliError } from "../../common/cli-error.js";
import type { AssistantSession } from "../session.js";
import { callService, collectPages, unaryCall as timeout } from "./service-call.js";
import { parseDuration, parseTimeInput } from "../time-input.js";

const call = <T>(session: AssistantSession, run: () => Promise<T>) => callService("calendar service", session.settings.calendarUrl, run);

export interface ListEventsOptions {
  /** At most this many events; all when undefined. */
  limit?: number;
  from?: string;
  to?: string;
}

export async function listEvents(session: AssistantSession, options: ListEventsOptions): Promise<Event[]> {
  const now = new Date();
  const timeMin = options.from === undefined ? undefined : timestampFromDate(parseTimeInput("--from", options.from, now));
  const timeMax = options.to === undefined ? undefined : timestampFromDate(parseTimeInput("--to", options.to, now));
  return collectPages(options.limit, async (pageSize, pageToken) => {
    const page = await call(session, () => session.calendar.listEvents({ pageSize, pageToken, timeMin, timeMax }, timeout));
    return { items: page.events, nextPageToken: page.nextPageToken };
  });
}

export async function getEvent(session: AssistantSession, id: string): Promise<Event> {
  return (await call(session, () => session.calendar.getEvent({ id }, timeout))).event!;
}

export interface AddEventOptions {
  description?: string;
  start: string;
  /** An end time; or give duration; default one hour after start. */
  end?: string;
  duration?: string;
}

export async function addEvent(session: AssistantSession, title: string, options: AddEventOptions): Promise<Event> {
  const now = new Date();
  const start = parseTimeInput("--start", options.start, now);
  if (options.end !== undefined && options.duration !== undefined) throw new CliError("usage", "give --end or --duration, not both");
  const end =
    options.end !== undefined
      ? parseTimeInput("--end", options.end, now)
      : new Date(start.getTime() + (options.duration === undefined ? 3_600_000 : parseDuration("--duration", options.duration)));
  const event = { title, description: options.description ?? "", startTime: timestampFromDate(start), endTime: timestampFromDate(end) };
  return (await call(session, () => session.calendar.createEvent({ event }, timeout))).event!;
}

export interface UpdateEventOptions {
  title?: string;
  description?: string;
  start?: string;
  end?: string;
  /** The etag of the event as it was read: the update fails (ABORTED) if it changed since. */
  ifMatch?: string;
}

/** Changes only the fields given (the update mask lists exactly those). */
export async function updateEvent(session: AssistantSession, id: string, options: UpdateEventOptions): Promise<Event> {
  const now = new Date();
  const paths: string[] = [];
  const event: MessageInitShape<typeof EventSchema> = { id, etag: options.ifMatch ?? "" };
  if (options.title !== undefined) (event.title = options.title), paths.push("title");
  if (options.description !== undefined) (event.description = options.description), paths.push("description");
  if (options.start !== undefined) (event.startTime = timestampFromDate(parseTimeInput("--start", options.start, now))), paths.push("start_time");
  if (options.end !== undefined) (event.endTime = timestampFromDate(parseTimeInput("--end", options.end, now))), paths.push("end_time");
  if (paths.length === 0) throw new CliError("usage", "nothing to update: give --title, --description, --start or --end");
  return (await call(session, () => session.calendar.updateEvent({ event, updateMask: { paths } }, timeout))).event!;
}

/** Deletes the event; with `ifMatch`, only if its etag is still that one (else ABORTED). */
export async function deleteEvent(session: AssistantSession, id: string, options: { ifMatch?: string } = {}): Promise<{ id: string }> {
  await call(session, () => session.calendar.deleteEvent({ id, etag: options.ifMatch ?? "" }, timeout));
  return { id };
}
