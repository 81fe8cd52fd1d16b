/**
 * Times as people type them: ISO 8601 (a date, a local date-time, or one with
 * a zone), relative to now (`now`, `+1h`, `-30m`, `+2d`, `+1w`), or `today` /
 * `tomorrow` (local midnight).
 */
import { CliError } from "../common/cli-error.js";

const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const relative = /^([+-])(\d+(?:\.\d+)?)([smhdw])$/;
const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const isoDateTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses `value` (for the option `option`, named in errors) relative to `now`. */
export function parseTimeInput(option: string, value: string, now: Date = new Date()): Date {
  const text = value.trim();
  if (text === "now") return now;
  if (text === "today" || text === "tomorrow") {
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    if (text === "tomorrow") midnight.setDate(midnight.getDate() + 1);
    return midnight;
  }
  const rel = relative.exec(text);
  if (rel) {
    const amount = Number(rel[2]) * units[rel[3]!]! * (rel[1] === "-" ? -1 : 1);
    return new Date(now.getTime() + amount);
  }
  if ((isoDate.test(text) || isoDateTime.test(text)) && isRealDay(text)) {
    // A date alone is local midnight; a date-time without a zone is local time (as Date parses it).
    const date = new Date(isoDate.test(text) ? `${text}T00:00` : text.replace(" ", "T"));
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new CliError("usage", `${option} "${value}" is not a time: use ISO 8601 (2030-01-31, 2030-01-31T09:00, 2030-01-31T09:00Z) a relative time (now, +1h, -30m, +2d), today or tomorrow`);
}

// Date would roll 2030-02-30 over to March 2; refuse days a month does not have.
function isRealDay(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
}

/** Parses a duration like `30m`, `1h`, `1.5h`, `2d`. */
export function parseDuration(option: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0) throw new CliError("usage", `${option} "${value}" is not a duration: use e.g. 30m, 1h, 1.5h, 2d`);
  return Number(match[1]) * units[match[2]!]!;
}
