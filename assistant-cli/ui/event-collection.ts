/**
 * Calendar events for the terminal UI, over the session's generated
 * CalendarService client.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate, timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Event, EventSchema } from "../../gen/m2m/calendar/v1/calendar_pb.js";
import type { AssistantSession } from "../session.js";
import { parseTimeInput } from "../time-input.js";
import type { Collection, FormValues } from "./collection.js";
import { allPages, listChanges } from "./collection-streams.js";
import { formatEnd, formatLocalDateTime, isoLocal } from "../local-time.js";
import { escapeLines, unescapeLines } from "./text-lines.js";

const pageSize = 100;
const hour = 3_600_000;

/** Events ordered by start time (then id), the order ListEvents uses. */
export function compareEvents(a: Event, b: Event): number {
  return ms(a.startTime) - ms(b.startTime) || a.id.localeCompare(b.id);
}

function ms(ts: Timestamp | undefined): number {
  return ts ? timestampMs(ts) : 0;
}

/** The events collection: list pages of 100, watch, and create/update/delete from form values. */
export function createEventCollection(session: AssistantSession): Collection<Event> {
  const { calendar } = session;
  return {
    title: "Events",
    noun: "event",
    service: "calendar service",
    url: session.settings.calendarUrl,
    header: [{ text: "start", width: 21 }, { text: "end", width: 17 }, { text: "title" }],
    async list(signal) {
      const all = await allPages(async (pageToken) => {
        const page = await calendar.listEvents({ pageSize, pageToken }, { signal });
        return { items: page.events, nextPageToken: page.nextPageToken };
      });
      return all.sort(compareEvents);
    },
    watch: (signal, sinceSequence = 0n) => listChanges(calendar.watchEvents({ sinceSequence }, { signal }), (message) => message.event),
    compare: compareEvents,
    row: (e) => [{ text: formatLocalDateTime(e.startTime, ""), width: 21 }, { text: formatEnd(e.startTime, e.endTime), width: 17 }, { text: e.title }],
    summary: (e) => [`${formatLocalDateTime(e.startTime, "")} → ${formatEnd(e.startTime, e.endTime)}`],
    fields: [
      { name: "title", label: "title" },
      { name: "start", label: "start", placeholder: "2030-01-31T09:00, +1h, +2d" },
      { name: "end", label: "end", placeholder: "empty: one hour after start" },
      { name: "description", label: "description", placeholder: "\\n for a line break" },
    ],
    formValues: (e) => ({
      title: e?.title ?? "",
      start: isoLocal(e?.startTime),
      end: isoLocal(e?.endTime),
      description: escapeLines(e?.description ?? ""),
    }),
    async create(values) {
      const { startTime, endTime } = parseSpan(values);
      const res = await calendar.createEvent({
        event: { title: values["title"], description: unescapeLines(values["description"] ?? ""), startTime, endTime },
      });
      return res.event!;
    },
    async update(event, initial, values) {
      const changed = (name: string) => values[name] !== initial[name];
      const paths: string[] = [];
      // The etag of the copy the form showed: if someone changed the event since, the update fails (ABORTED).
      const patch: MessageInitShape<typeof EventSchema> = { id: event.id, etag: event.etag };
      const now = new Date();
      if (changed("title")) {
        paths.push("title");
        patch.title = values["title"] ?? "";
      }
      if (changed("description")) {
        paths.push("description");
        patch.description = unescapeLines(values["description"] ?? "");
      }
      if (changed("start")) {
        paths.push("start_time");
        patch.startTime = timestampFromDate(parseTimeInput("start", values["start"] ?? "", now));
      }
      if (changed("end")) {
        paths.push("end_time");
        patch.endTime = timestampFromDate(parseTimeInput("end", values["end"] ?? "", now));
      }
      if (paths.length === 0) return undefined;
      const res = await calendar.updateEvent({ event: patch, updateMask: { paths } });
      return res.event!;
    },
    async remove(event) {
      await calendar.deleteEvent({ id: event.id });
    },
  };
}

/** Start and end from the form; an empty end is one hour after the start. */
function parseSpan(values: FormValues): { startTime: Timestamp; endTime: Timestamp } {
  const now = new Date();
  const start = parseTimeInput("start", values["start"] ?? "", now);
  const endText = values["end"] ?? "";
  const end = endText.trim() === "" ? new Date(start.getTime() + hour) : parseTimeInput("end", endText, now);
  return { startTime: timestampFromDate(start), endTime: timestampFromDate(end) };
}
