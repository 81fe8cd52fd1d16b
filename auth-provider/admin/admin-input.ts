/**
 * Checks of what the operator typed, each returning the parsed value or
 * throwing an CliError("usage") with one line that says what is allowed.
 * The rules are stricter than the store's so ids and lists stay easy to type
 * and to quote in shells and logs.
 */
import { CliError } from "../../common/cli-error.js";

/** Client ids: 1 to 64 characters of A-Z a-z 0-9 . _ - */
export const clientIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** The lowest and highest token lifetime a client may have, in seconds. */
export const tokenTtlRange = { min: 60, max: 86_400 } as const;

/** A valid client id, or a usage error. */
export function parseClientId(value: string): string {
  if (!clientIdPattern.test(value)) {
    throw new CliError("usage", `invalid client id ${printable(value)}: use 1 to 64 characters of A-Z a-z 0-9 . _ -`);
  }
  return value;
}

// RFC 6749 §3.3 scope-token characters: visible ASCII except space, double quote and backslash; single quotes are
// refused too, so values survive shell quoting and log lines unchanged.
const listToken = /^[\x21\x23-\x26\x28-\x5b\x5d-\x7e]+$/;

/**
 * A space-separated list of scopes or audiences (option name for the message), without duplicates, in the order
 * given; or a usage error when it is empty or has a token with quotes or backslashes.
 */
export function parseTokenList(option: string, value: string): string[] {
  const items = value.split(/[ \t]+/).filter((item) => item !== "");
  if (items.length === 0) throw new CliError("usage", `${option} needs at least one value (space-separated)`);
  const bad = items.find((item) => !listToken.test(item));
  if (bad !== undefined) {
    throw new CliError("usage", `invalid ${option} value ${printable(bad)}: no quotes, backslashes or control characters`);
  }
  if (items.length > 100) throw new CliError("usage", `${option} has more than 100 values`);
  return [...new Set(items)];
}

/** A token lifetime in whole seconds from 60 to 86400, or a usage error. */
export function parseTokenTtl(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < tokenTtlRange.min || n > tokenTtlRange.max) {
    throw new CliError("usage", `invalid --token-ttl ${printable(value)}: use whole seconds from ${tokenTtlRange.min} to ${tokenTtlRange.max}`);
  }
  return n;
}

// Input echoed in a message: cut short, in double quotes with JSON escapes, so it stays on one line.
function printable(value: string): string {
  return JSON.stringify(value.length > 70 ? `${value.slice(0, 70)}...` : value);
}
