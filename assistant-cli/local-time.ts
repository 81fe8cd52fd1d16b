/**
 * Times as the assistant shows them to people: local time, minute precision
 * ("Tue 2030-01-01 09:00"), and ISO 8601 local time for editing, which
 * `parseTimeInput` reads back to the same instant.
 */
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const day = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const clock = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
const toDate = (value: Date | Timestamp) => (value instanceof Date ? value : timestampDate(value));

/** "Tue 2030-01-01 09:00"; `missing` when there is no value. */
export function formatLocalDateTime(value: Date | Timestamp | undefined, missing = "-"): string {
  if (value === undefined) return missing;
  const d = toDate(value);
  return `${weekdays[d.getDay()]} ${day(d)} ${clock(d)}`;
}

/** The end of a span: "10:00" when it ends on the day it starts, else "2030-02-01 10:00". */
export function formatEnd(start: Timestamp | undefined, end: Timestamp | undefined): string {
  if (!end) return "";
  const e = timestampDate(end);
  if (start && day(timestampDate(start)) === day(e)) return clock(e);
  return `${day(e)} ${clock(e)}`;
}

/** "Tue 2030-01-01 09:00–09:15" on one day, else "Tue 2030-01-01 09:00 – 2030-01-02 10:00". */
export function formatLocalRange(start: Timestamp | undefined, end: Timestamp | undefined): string {
  const to = formatEnd(start, end);
  return to.length === 5 ? `${formatLocalDateTime(start)}–${to}` : `${formatLocalDateTime(start)} – ${to || "-"}`;
}

/** "2030-01-31 09:00:05", for created/updated lines; "" when missing. */
export function formatWhen(ts: Timestamp | undefined): string {
  if (!ts) return "";
  const d = timestampDate(ts);
  return `${day(d)} ${clock(d)}:${pad(d.getSeconds())}`;
}

/** ISO 8601 local time without a zone, "2030-01-31T09:00" (seconds and milliseconds only when set). */
export function isoLocal(ts: Timestamp | undefined): string {
  if (!ts) return "";
  const d = timestampDate(ts);
  let text = `${day(d)}T${clock(d)}`;
  if (d.getSeconds() !== 0 || d.getMilliseconds() !== 0) text += `:${pad(d.getSeconds())}`;
  if (d.getMilliseconds() !== 0) text += `.${pad(d.getMilliseconds(), 3)}`;
  return text;
}
