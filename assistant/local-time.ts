/** Times shown to people: local time, minute precision, e.g. "Tue 2030-01-01 09:00". */
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const pad = (n: number) => String(n).padStart(2, "0");

export function formatLocalDateTime(value: Date | Timestamp | undefined): string {
  if (value === undefined) return "-";
  const d = value instanceof Date ? value : timestampDate(value);
  return `${weekdays[d.getDay()]} ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "09:00–09:15" on one day, else both full. */
export function formatLocalRange(start: Timestamp | undefined, end: Timestamp | undefined): string {
  const from = formatLocalDateTime(start);
  const to = formatLocalDateTime(end);
  return from.slice(0, 14) === to.slice(0, 14) ? `${from}–${to.slice(15)}` : `${from} – ${to}`;
}
