/**
 * The rules for a client's fields, shared by both stores: what register()
 * and update() accept, and how grants are written to and read from the
 * database (JSON text, normalised). Every failure is a TypeError naming the
 * field.
 */
import type { ClientChanges, Grant, NewClient } from "./client-record.js";
import { normalizeGrants } from "./grants.js";
import { checkPublicJwkShape } from "./public-jwk.js";
import { weakSecretReason } from "./secret-strength.js";
import { canonicalSubjectDn } from "./tls-subject-dn.js";

// RFC 6749 §3.3 scope-token characters; audiences and grant types use the same rule (space-delimited in tokens).
const token = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Checks a new client's fields. The public JWK gets only its shape checked here (see checkPublicJwk). */
export function checkNewClient(client: NewClient): void {
  if (typeof client.clientId !== "string" || !/^[\x21-\x7e]{1,128}$/.test(client.clientId)) {
    throw new TypeError("clientId must be 1 to 128 visible ASCII characters");
  }
  if (client.secret === undefined && client.publicJwk === undefined && client.tlsClientAuthSubjectDn === undefined) {
    throw new TypeError("secret, publicJwk or tlsClientAuthSubjectDn is required: a client without any could not authenticate");
  }
  if (client.secret !== undefined) checkSecret(client.secret);
  if (client.publicJwk !== undefined) checkPublicJwkShape(client.publicJwk);
  if (client.tlsClientAuthSubjectDn !== undefined) tlsSubjectDnToStore(client.tlsClientAuthSubjectDn);
  checkRequireDpop(client.requireDpop);
  checkGrants(client.grants);
  if (!Array.isArray(client.grantTypes) || client.grantTypes.length === 0 || !client.grantTypes.every((item) => typeof item === "string" && token.test(item))) {
    throw new TypeError("grantTypes must be a non-empty list of tokens without spaces, quotes or backslashes");
  }
  checkTokenTtl(client.tokenTtlSeconds);
  checkMaxTokensPerMinute(client.maxTokensPerMinute);
}

/** Checks `client update` changes (null clears; the public JWK gets only its shape checked here). */
export function checkChanges(changes: ClientChanges): void {
  if (changes.grants !== undefined) checkGrants(changes.grants);
  if (changes.tokenTtlSeconds !== null) checkTokenTtl(changes.tokenTtlSeconds);
  if (changes.maxTokensPerMinute !== null) checkMaxTokensPerMinute(changes.maxTokensPerMinute);
  if (changes.publicJwk !== undefined && changes.publicJwk !== null) checkPublicJwkShape(changes.publicJwk);
  if (changes.tlsClientAuthSubjectDn !== undefined && changes.tlsClientAuthSubjectDn !== null) tlsSubjectDnToStore(changes.tlsClientAuthSubjectDn);
  checkRequireDpop(changes.requireDpop);
}

/**
 * A subject DN as stored: its canonical form (tls-subject-dn.ts), so that "CN = a, O = b" and "CN=a,O=b" are one DN.
 * @throws TypeError naming tlsClientAuthSubjectDn and saying what is wrong with it.
 */
export function tlsSubjectDnToStore(dn: string): string {
  try {
    return canonicalSubjectDn(dn);
  } catch (err) {
    throw new TypeError(`tlsClientAuthSubjectDn: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** undefined or a boolean. */
function checkRequireDpop(value: boolean | undefined): void {
  if (value !== undefined && typeof value !== "boolean") throw new TypeError("requireDpop must be true or false");
}

/** At least one grant; each audience and scope an RFC 6749 §3.3 token; each grant with at least one scope. */
export function checkGrants(grants: readonly Grant[]): void {
  if (!Array.isArray(grants) || grants.length === 0) throw new TypeError("grants must hold at least one audience:scope pair");
  for (const grant of grants) {
    if (typeof grant?.audience !== "string" || !token.test(grant.audience)) {
      throw new TypeError(`grants: the audience ${JSON.stringify(grant?.audience ?? null)} must be a token without spaces, quotes or backslashes`);
    }
    if (!Array.isArray(grant.scopes) || grant.scopes.length === 0) throw new TypeError(`grants: the audience "${grant.audience}" needs at least one scope`);
    for (const scope of grant.scopes) {
      if (typeof scope !== "string" || !token.test(scope)) {
        throw new TypeError(`grants: the scope ${JSON.stringify(scope)} of "${grant.audience}" must be a token without spaces, quotes or backslashes`);
      }
    }
  }
}

/** undefined, or a whole number from 60 to 86400. */
export function checkTokenTtl(ttl: number | undefined): void {
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60 || ttl > 86400)) {
    throw new TypeError("tokenTtlSeconds must be a whole number from 60 to 86400");
  }
}

/** undefined, or a whole number from 1 to 1 000 000. */
export function checkMaxTokensPerMinute(max: number | undefined): void {
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1_000_000)) {
    throw new TypeError("maxTokensPerMinute must be a whole number from 1 to 1000000");
  }
}

/** Checks a secret's strength (at least 128 bits, secret-strength.ts). @throws TypeError saying why it is too weak. */
export function checkSecret(secret: string): void {
  if (typeof secret !== "string") throw new TypeError("secret must be a string");
  const weak = weakSecretReason(secret);
  if (weak !== undefined) throw new TypeError(weak);
}

/** The overlap of a rotation: 0 (none) or a positive number of seconds, at most a year. */
export function checkOverlapSeconds(seconds: number | undefined): number {
  const overlap = seconds ?? 0;
  if (!Number.isFinite(overlap) || overlap < 0 || overlap > 366 * 86400) {
    throw new TypeError("overlapSeconds must be from 0 (no overlap) to 31622400 (366 days)");
  }
  return overlap;
}

/** Grants as stored: normalised JSON. */
export function grantsToJson(grants: readonly Grant[]): string {
  return JSON.stringify(normalizeGrants(grants));
}

/** Stored grants; a row not converted yet (NULL) has none. */
export function grantsFromJson(value: string | null): Grant[] {
  return value === null ? [] : normalizeGrants(JSON.parse(value) as Grant[]);
}
