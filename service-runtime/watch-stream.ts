/**
 * The body of a watch method: a first "watch started" message once the
 * subscription is live, then every change, until the caller goes away, the
 * server shuts down (UNAVAILABLE) or the caller's access token expires
 * (UNAUTHENTICATED: a stream is authorized like any call, and not beyond the
 * token's lifetime).
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Principal } from "../interceptor/principal.js";
import type { ChangeFeed } from "./change-feed.js";

export async function* watchChanges<Change, Message>(
  feed: ChangeFeed<Change>,
  ctx: HandlerContext,
  principal: Principal,
  started: Message,
  toMessage: (change: Change) => Message,
): AsyncGenerator<Message> {
  const expiry = new AbortController();
  const timer = setTimeout(() => expiry.abort(), Math.max(0, principal.expiresAt.getTime() - Date.now()));
  // Subscribed before the first message, so no change after "watch started" is missed.
  const changes = feed.subscribe(AbortSignal.any([ctx.signal, expiry.signal]));
  try {
    yield started;
    for await (const change of changes) yield toMessage(change);
    if (ctx.signal.aborted) throw new ConnectError("the caller cancelled the watch", Code.Canceled);
    throw new ConnectError("the access token expired during the watch; reconnect with a fresh token", Code.Unauthenticated);
  } finally {
    clearTimeout(timer);
    // Also when the caller left before the first change was read.
    changes.unsubscribe();
  }
}
