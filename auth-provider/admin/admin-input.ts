/**
 * Checks of what the operator typed, each returning the parsed value or
 * throwing an CliError("usage") with one line that says what is allowed.
 * The rules are stricter than the store's so ids and grants stay easy to type
 * and to quote in shells and logs.
 */
import { CliError } from "../../common/cli-error.js";
import type { Grant } from "../clients/client-record.js";
import { normalizeGrants } from "../clients/grants.js";
import { canonicalSubjectDn } from "../clients/tls-subject-dn.js";
import { extraAudiencesVariable, type ScopeCatalog } from "../policy/scope-catalog.js";

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
const scopeToken = /^[\x21\x23-\x26\x28-\x5b\x5d-\x7e]+$/;

/** A token lifetime in whole seconds from 60 to 86400, or a usage error. */
export function parseTokenTtl(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < tokenTtlRange.min || n > tokenTtlRange.max) {
    throw new CliError("usage", `invalid --token-ttl ${printable(value)}: use whole seconds from ${tokenTtlRange.min} to ${tokenTtlRange.max}`);
  }
  return n;
}

/** `client update --token-ttl`: seconds as parseTokenTtl, or "default" (null: the server default again). */
export function parseTokenTtlChange(value: string): number | null {
  if (value === "default") return null;
  if (/^\d+$/.test(value)) return parseTokenTtl(value);
  throw new CliError("usage", `invalid --token-ttl ${printable(value)}: use whole seconds from ${tokenTtlRange.min} to ${tokenTtlRange.max}, or "default"`);
}

/** The lowest and highest token budget a client may have, per minute. */
export const tokensPerMinuteRange = { min: 1, max: 1_000_000 } as const;

/**
 * A token budget (successful token requests per minute) from 1 to 1000000, or a usage error. With allowNone
 * (`client update`), "none" gives null: no budget.
 */
export function parseMaxTokensPerMinute(value: string, options: { allowNone?: boolean } = {}): number | null {
  if (options.allowNone && value === "none") return null;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < tokensPerMinuteRange.min || n > tokensPerMinuteRange.max) {
    const none = options.allowNone ? ', or "none"' : "";
    throw new CliError("usage", `invalid --max-tokens-per-minute ${printable(value)}: use a whole number from 1 to 1000000${none}`);
  }
  return n;
}

const durationUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** The longest secret rotation overlap: 30 days. */
export const maxOverlapSeconds = 30 * 86_400;

/**
 * A duration such as 90s, 30m, 24h or 1d (a whole number and one unit), in seconds: more than zero and at most
 * maxSeconds; or a usage error naming option.
 */
export function parseDuration(option: string, value: string, maxSeconds: number): number {
  const match = /^(\d{1,9})([smhd])$/.exec(value);
  const seconds = match === null ? NaN : Number(match[1]) * durationUnits[match[2]!]!;
  if (!(seconds > 0 && seconds <= maxSeconds)) {
    throw new CliError("usage", `invalid ${option} ${printable(value)}: use a whole number with s, m, h or d (e.g. 90s, 30m, 24h, 1d), at most ${describeSeconds(maxSeconds)}`);
  }
  return seconds;
}

/** "30d", "24h", "90s": the largest unit that divides the seconds evenly. */
export function describeSeconds(seconds: number): string {
  const unit = (["d", "h", "m"] as const).find((u) => seconds % durationUnits[u]! === 0) ?? "s";
  return `${seconds / durationUnits[unit]!}${unit}`;
}

/**
 * One --grant value: AUDIENCE:SCOPE or AUDIENCE:SCOPE,SCOPE. Split at the last colon, so audiences that are URLs
 * (https://billing.example:8443) work; scopes never hold a colon. A usage error naming option when either part is
 * empty or has quotes, backslashes or control characters.
 */
export function parseGrant(option: string, value: string): Grant {
  const colon = value.lastIndexOf(":");
  const audience = value.slice(0, Math.max(colon, 0));
  const scopes = colon < 0 ? [] : value.slice(colon + 1).split(",").filter((scope) => scope !== "");
  if (audience === "" || scopes.length === 0) {
    throw new CliError("usage", `invalid ${option} ${printable(value)}: use AUDIENCE:SCOPE or AUDIENCE:SCOPE,SCOPE, e.g. note-service:note.read`);
  }
  const bad = [audience, ...scopes].find((item) => !scopeToken.test(item));
  if (bad !== undefined) throw new CliError("usage", `invalid ${option} ${printable(value)}: no spaces, quotes, backslashes or control characters`);
  return { audience, scopes: [...new Set(scopes)].sort() };
}

/** Every value of a repeatable grant option, merged per audience (normalizeGrants); a usage error when there is none. */
export function parseGrants(option: string, values: readonly string[] | undefined): Grant[] {
  if (values === undefined || values.length === 0) throw new CliError("usage", `${option} needs at least one AUDIENCE:SCOPE, e.g. note-service:note.read`);
  if (values.length > 100) throw new CliError("usage", `${option} is given more than 100 times`);
  return normalizeGrants(values.map((value) => parseGrant(option, value)));
}

/**
 * Refuses (usage error) a grant for an audience the catalog does not know, listing the known ones and how to add
 * one, or of a scope its audience does not define, naming the audience and its scopes.
 */
export function checkGrantsInCatalog(option: string, grants: readonly Grant[], catalog: ScopeCatalog): void {
  for (const grant of grants) {
    const entry = catalog.find(grant.audience);
    if (entry === undefined) {
      const known = catalog.audiences.map((a) => a.audience).join(", ");
      throw new CliError(
        "usage",
        `${option}: unknown audience ${printable(grant.audience)}; the known audiences are ${known} (add another with ${extraAudiencesVariable}="audience=scope scope")`,
      );
    }
    const unknown = grant.scopes.filter((scope) => !entry.scopes.includes(scope));
    if (unknown.length > 0) {
      throw new CliError(
        "usage",
        `${option}: audience ${printable(grant.audience)} defines no scope ${unknown.map(printable).join(", ")}; its scopes are ${entry.scopes.join(" ")}`,
      );
    }
  }
}

/**
 * A --tls-subject value: the subject DN a client certificate must carry (RFC 4514 text in the certificate's order,
 * e.g. "CN=reporting,O=Example"), in canonical form (clients/tls-subject-dn.ts). With allowNone (`client update`),
 * "none" gives null: no certificate authentication. A usage error saying what is wrong.
 */
export function parseTlsSubject(value: string, options: { allowNone?: boolean } = {}): string | null {
  if (options.allowNone && value === "none") return null;
  try {
    return canonicalSubjectDn(value);
  } catch (err) {
    const none = options.allowNone ? ', or "none"' : "";
    const why = err instanceof TypeError ? err.message : String(err);
    throw new CliError("usage", `invalid --tls-subject ${printable(value)}: ${why}; give the certificate's subject as TYPE=value,TYPE=value in its order, e.g. "CN=reporting,O=Example"${none}`);
  }
}

// Input echoed in a message: cut short, in double quotes with JSON escapes, so it stays on one line.
function printable(value: string): string {
  return JSON.stringify(value.length > 70 ? `${value.slice(0, 70)}...` : value);
}
