/**
 * Small input checks shared by the services. Every failure is an
 * INVALID_ARGUMENT whose message starts with the field's name.
 */
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";

export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

/** A resource id: present and of a sane size. */
export function requireId(field: string, id: string): string {
  if (id.trim() === "") throw invalidArgument(field, "is required");
  if (id.length > 128) throw invalidArgument(field, "is too long to be an id");
  return id;
}

/** A title: required, trimmed, at most `max` characters. */
export function checkTitle(field: string, title: string, max = 200): string {
  const trimmed = title.trim();
  if (trimmed === "") throw invalidArgument(field, "is required and must not be blank");
  if ([...trimmed].length > max) throw invalidArgument(field, `must be at most ${max} characters (got ${[...trimmed].length})`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw invalidArgument(field, "must not contain control characters");
  return trimmed;
}

/** Free text: at most `max` characters; newlines allowed. */
export function checkText(field: string, text: string, max: number): string {
  if ([...text].length > max) throw invalidArgument(field, `must be at most ${max} characters (got ${[...text].length})`);
  return text;
}

// The range google.protobuf.Timestamp allows: 0001-01-01 to 9999-12-31.
const minSeconds = -62135596800n;
const maxSeconds = 253402300799n;

/** A required, well-formed timestamp. */
export function requireTimestamp(field: string, value: Timestamp | undefined): Timestamp {
  if (value === undefined) throw invalidArgument(field, "is required");
  return checkTimestamp(field, value);
}

/** A well-formed timestamp (in range, nanos 0 to 999,999,999). */
export function checkTimestamp(field: string, value: Timestamp): Timestamp {
  if (value.seconds < minSeconds || value.seconds > maxSeconds) throw invalidArgument(field, "is outside the years 0001 to 9999");
  if (value.nanos < 0 || value.nanos > 999_999_999) throw invalidArgument(field, "has nanos outside 0 to 999999999");
  return value;
}

/** Compares two timestamps: negative when a is earlier. */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  return a.nanos - b.nanos;
}

export { timestampDate };
