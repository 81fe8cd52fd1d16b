/**
 * In-process publish/subscribe of changes for watch streams. Each subscriber
 * gets its own queue, so a slow reader never blocks writers or other readers;
 * a reader that falls too far behind is cut off with RESOURCE_EXHAUSTED rather
 * than growing memory without bound.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** The changes of one subscriber; `unsubscribe` (idempotent) must be called when done, even if never iterated. */
export interface Subscription<T> extends AsyncIterable<T> {
  unsubscribe(): void;
}

export interface ChangeFeed<T> {
  /** Delivers a change to every current subscriber. */
  publish(change: T): void;
  /**
   * Subscribes now (changes published after this call are delivered) and
   * yields them until `signal` aborts or the feed closes.
   */
  subscribe(signal: AbortSignal): Subscription<T>;
  /** Ends every subscription with UNAVAILABLE (server shutting down). */
  close(): void;
  /** Ends every current subscription with `error`; later subscriptions work as before. */
  interrupt(error: ConnectError): void;
  readonly subscriberCount: number;
}

interface Subscriber<T> {
  queue: T[];
  wake: (() => void) | undefined;
  error: ConnectError | undefined;
}

export interface ChangeFeedOptions {
  /** Changes that may wait per subscriber before it is cut off; default 1000. */
  maxQueued?: number;
  /** Called after a subscriber leaves, with how many remain (for logs). */
  onUnsubscribe?: (remaining: number) => void;
}

/** Creates a feed. */
export function createChangeFeed<T>(options: ChangeFeedOptions = {}): ChangeFeed<T> {
  const maxQueued = options.maxQueued ?? 1000;
  const subscribers = new Set<Subscriber<T>>();
  let closed = false;

  const fail = (sub: Subscriber<T>, error: ConnectError) => {
    sub.error ??= error;
    sub.wake?.();
  };

  return {
    get subscriberCount() {
      return subscribers.size;
    },
    publish(change) {
      for (const sub of subscribers) {
        if (sub.queue.length >= maxQueued) {
          fail(sub, new ConnectError(`watch stream fell more than ${maxQueued} changes behind; reconnect`, Code.ResourceExhausted));
          continue;
        }
        sub.queue.push(change);
        sub.wake?.();
      }
    },
    interrupt(error) {
      for (const sub of subscribers) fail(sub, error);
    },
    close() {
      closed = true;
      for (const sub of subscribers) fail(sub, new ConnectError("the server is shutting down; reconnect", Code.Unavailable));
    },
    subscribe(signal) {
      const sub: Subscriber<T> = { queue: [], wake: undefined, error: undefined };
      if (closed) sub.error = new ConnectError("the server is shutting down; reconnect", Code.Unavailable);
      subscribers.add(sub);
      const onAbort = () => sub.wake?.();
      signal.addEventListener("abort", onAbort);
      const unsubscribe = () => {
        signal.removeEventListener("abort", onAbort);
        if (subscribers.delete(sub)) options.onUnsubscribe?.(subscribers.size);
      };
      const changes = (async function* () {
        try {
          for (;;) {
            if (sub.queue.length > 0) {
              yield sub.queue.shift()!;
              continue;
            }
            if (sub.error) throw sub.error;
            if (signal.aborted) return;
            await new Promise<void>((resolve) => (sub.wake = resolve));
            sub.wake = undefined;
          }
        } finally {
          unsubscribe();
        }
      })();
      return { [Symbol.asyncIterator]: () => changes, unsubscribe };
    },
  };
}
