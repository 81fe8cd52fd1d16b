/**
 * The revocation list as this replica publishes it (common/revocation-list.ts
 * has the wire format): read from the store at most once per `maxAgeMs`
 * however many services poll, rebuilt only when the store's change marker
 * moves, and kept while the store cannot be reached, so the list stays served
 * (with its last known content) through a database restart, like the JWKS.
 *
 * A read that takes longer than `staleAfterMs` is not waited for when there
 * is content to serve: the poll gets the last known list, the read goes on.
 */
import { createHash } from "node:crypto";
import type { RevocationListDocument } from "../../common/revocation-list.js";
import type { RevocationRepository, RevocationSnapshot } from "../storage/auth-store.js";

/** The list ready to send. */
export interface PublishedRevocationList {
  /** The JSON document. */
  readonly body: string;
  /** A weak ETag derived from the store's marker: the same on every replica for the same revocations. */
  readonly etag: string;
}

/** Options of {@link createPublishedRevocationList}. */
export interface PublishedRevocationListOptions {
  readonly issuer: string;
  readonly revocations: Pick<RevocationRepository, "snapshot">;
  /** How long a read is reused; default 1000 ms. */
  readonly maxAgeMs?: number;
  /** How long a poll waits for a read when an older list can be served instead; default 500 ms. */
  readonly staleAfterMs?: number;
  /** The clock in milliseconds; default Date.now. */
  readonly now?: () => number;
  /** Called when a read fails and the last known list is served instead (once until a read succeeds). */
  readonly onStale?: (err: unknown) => void;
  /** Called when a read succeeds again after onStale. */
  readonly onRecovered?: () => void;
  /**
   * Called with the number of client revocations (a client disabled or removed) that appeared since the previous
   * read; those present at the first read are not counted.
   */
  readonly onNewClientRevocations?: (count: number) => void;
}

export interface PublishedRevocationListSource {
  /**
   * The list, at most maxAgeMs old unless the store cannot be reached.
   * @throws the store's error when it has never been read.
   */
  current(): Promise<PublishedRevocationList>;
}

/** Creates the source; nothing is read until the first current(). */
export function createPublishedRevocationList(options: PublishedRevocationListOptions): PublishedRevocationListSource {
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? 1000;
  const staleAfterMs = options.staleAfterMs ?? 500;
  let last: { list: PublishedRevocationList; marker: string; readAtMs: number; clients: ReadonlyMap<string, number> } | undefined;
  let reading: Promise<PublishedRevocationList> | undefined;
  let stale = false;

  async function read(): Promise<PublishedRevocationList> {
    const startedMs = now();
    try {
      const snapshot = await options.revocations.snapshot(Math.floor(startedMs / 1000));
      if (last === undefined || last.marker !== snapshot.marker) {
        if (last !== undefined) countNewClientRevocations(last.clients, snapshot, options.onNewClientRevocations);
        const clients = new Map(snapshot.clients.map((c) => [c.clientId, c.tokensIssuedBefore]));
        last = { list: render(options.issuer, snapshot, startedMs), marker: snapshot.marker, readAtMs: startedMs, clients };
      } else last.readAtMs = startedMs;
      if (stale) {
        stale = false;
        options.onRecovered?.();
      }
      return last.list;
    } catch (err) {
      if (last === undefined) throw err;
      if (!stale) {
        stale = true;
        options.onStale?.(err);
      }
      last.readAtMs = startedMs; // the next read in maxAgeMs: a database that is away is not asked on every poll
      return last.list;
    }
  }

  return {
    async current() {
      if (last !== undefined && now() - last.readAtMs < maxAgeMs) return last.list;
      reading ??= read().finally(() => (reading = undefined));
      if (last === undefined) return reading;
      const known = last.list;
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<PublishedRevocationList>((resolve) => (timer = setTimeout(() => resolve(known), staleAfterMs)));
      try {
        return await Promise.race([reading, waited]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

// A client entry that is new, or moved later (disabled again), is a revocation made since the previous read.
function countNewClientRevocations(before: ReadonlyMap<string, number>, snapshot: RevocationSnapshot, report: ((count: number) => void) | undefined): void {
  if (report === undefined) return;
  const count = snapshot.clients.filter((c) => (before.get(c.clientId) ?? Number.NEGATIVE_INFINITY) < c.tokensIssuedBefore).length;
  if (count > 0) report(count);
}

function render(issuer: string, snapshot: RevocationSnapshot, nowMs: number): PublishedRevocationList {
  const document: RevocationListDocument = {
    issuer,
    generated_at: Math.floor(nowMs / 1000),
    tokens: snapshot.tokens.map((token) => ({ jti: token.tokenId, exp: token.expiresAt })),
    clients: snapshot.clients.map((client) => ({ client_id: client.clientId, tokens_issued_before: client.tokensIssuedBefore })),
  };
  const tag = createHash("sha256").update(snapshot.marker).digest("base64url").slice(0, 22);
  return { body: JSON.stringify(document), etag: `W/"${tag}"` };
}
