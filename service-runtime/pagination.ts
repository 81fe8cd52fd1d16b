/**
 * Keyset pagination shared by the list methods: page sizes with the usual
 * bounds (AIP-158) and opaque page tokens that carry the last row's sort key
 * plus a fingerprint of the filter they were issued for.
 */
import { createHash } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";

export const defaultPageSize = 50;
export const maxPageSize = 1000;

/** 0 means the default; negative is INVALID_ARGUMENT; more than the maximum is lowered to it. */
export function resolvePageSize(pageSize: number): number {
  if (pageSize < 0) throw new ConnectError(`page_size: must not be negative (got ${pageSize})`, Code.InvalidArgument);
  if (pageSize === 0) return defaultPageSize;
  return Math.min(pageSize, maxPageSize);
}

export type PageCursor = readonly (string | number)[];

/** Opaque token for the page after `cursor`, bound to the filter `filterKey`. */
export function encodePageToken(cursor: PageCursor, filterKey: string): string {
  return Buffer.from(JSON.stringify({ c: cursor, f: fingerprint(filterKey) })).toString("base64url");
}

/**
 * The cursor in a page token, or undefined for an empty token; INVALID_ARGUMENT
 * for a token that is corrupt, of another shape, or issued for another filter.
 */
export function decodePageToken(token: string, filterKey: string, shape: readonly ("string" | "number")[]): PageCursor | undefined {
  if (token === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidToken("it is not a token this service issued");
  }
  const { c, f } = (parsed ?? {}) as { c?: unknown; f?: unknown };
  if (!Array.isArray(c) || c.length !== shape.length || !c.every((v, i) => typeof v === shape[i]) || typeof f !== "string") {
    throw invalidToken("it is not a token this service issued");
  }
  if (f !== fingerprint(filterKey)) throw invalidToken("it was issued for a different filter");
  return c as PageCursor;
}

function invalidToken(why: string): ConnectError {
  return new ConnectError(`page_token: not valid here, ${why}; start again without a page_token`, Code.InvalidArgument);
}

/** The last few fingerprints: most lists repeat one filter (often none), and a SHA-256 per page is measurable. */
const recentFingerprints = new Map<string, string>();

function fingerprint(filterKey: string): string {
  let value = recentFingerprints.get(filterKey);
  if (value === undefined) {
    value = createHash("sha256").update(filterKey).digest("base64url").slice(0, 12);
    if (recentFingerprints.size >= 64) recentFingerprints.clear();
    recentFingerprints.set(filterKey, value);
  }
  return value;
}
