/**
 * The body of a watch method: a first "watch started" message once the
 * subscription is live, then (when the caller gives `since`, the last sequence
 * it saw) every change after it read from the change log, then every live
 * change, until the caller goes away, the server shuts down (UNAVAILABLE) or
 * the caller's access token expires (UNAUTHENTICATED: a stream is authorized
 * like any call, and not beyond the token's lifetime). The subscription is
 * taken before anything is read, and live changes at or below the last
 * sequence sent are skipped: no gap and no duplicate at the seam.
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Principal } from "../interceptor/principal.js";
import type { ChangeFeed } from "./change-feed.js";

/** Where a watch reads its history. */
export interface ChangeHistory<Change> {
  /** The sequence of the last committed change. */
  latest(): Promise<number>;
  /** Up to a batch of changes after `sequence`, oldest first; OUT_OF_RANGE when they are no longer kept. */
  after(sequence: number): Promise<Change[]>;
  /** Why live changes cannot be delivered now (UNAVAILABLE), or undefined. */
  unavailable(): ConnectError | undefined;
}

/** Streams `started(sequence)`, the replay after `since` (when > 0), then live changes from `feed`; see above. */
export async function* watchChanges<Change extends { sequence: number }, Message>(
  feed: ChangeFeed<Change>,
  history: ChangeHistory<Change>,
  since: number,
  ctx: HandlerContext,
  principal: Principal,
  started: (sequence: number) => Message,
  toMessage: (change: Change) => Message,
): AsyncGenerator<Message> {
  const refused = history.unavailable();
  if (refused) throw refused;
  const expiry = new AbortController();
  const timer = setTimeout(() => expiry.abort(), Math.max(0, principal.expiresAt.getTime() - Date.now()));
  // Subscribed before anything is read, so no change after "watch started" is missed.
  const changes = feed.subscribe(AbortSignal.any([ctx.signal, expiry.signal]));
  try {
    // With `since`, the first batch is read before "watch started": OUT_OF_RANGE comes first when the history is gone.
    let pending = since > 0 ? await history.after(since) : [];
    let last = since > 0 ? since : await history.latest();
    yield started(last);
    while (pending.length > 0) {
      for (const change of pending) yield toMessage(change);
      last = pending.at(-1)!.sequence;
      pending = await history.after(last);
    }
    for await (const change of changes) {
      if (change.sequence <= last) continue;
      last = change.sequence;
      yield toMessage(change);
    }
    if (ctx.signal.aborted) throw new ConnectError("the caller cancelled the watch", Code.Canceled);
    throw new ConnectError("the access token expired during the watch; reconnect with a fresh token", Code.Unauthenticated);
  } finally {
    clearTimeout(timer);
    // Also when the caller left before the first change was read.
    changes.unsubscribe();
  }
}
