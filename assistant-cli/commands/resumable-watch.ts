/**
 * A watch that survives its replica: when the stream breaks (the replica
 * stopped or lost its database notifications: UNAVAILABLE, or the connection
 * reset), it opens the watch again, on whichever replica answers, with
 * since_sequence set to the last change it saw, so nothing is missed and
 * nothing comes twice. Waits between attempts use the project's one backoff
 * (common/retry-with-backoff.ts). Any other failure, or any failure before the
 * first stream came up, ends the watch.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { retryWithBackoff } from "../../common/retry-with-backoff.js";

/** What the resumable watch reads from each message. */
export interface SequencedChange {
  /** 1 is WATCH_STARTED in both services' ChangeType. */
  changeType: number;
  sequence: bigint;
}

export interface ResumableWatchOptions<T extends SequencedChange> {
  /** Opens the stream, replaying the changes after `since` (0: live only). */
  open(since: bigint, signal: AbortSignal): AsyncIterable<T>;
  signal: AbortSignal;
  /** Every change once; WATCH_STARTED only the first time. */
  onChange(change: T): void;
  /** Told when the stream broke and when the next attempt starts. */
  onInterrupted?(err: ConnectError, retryInMs: number): void;
}

const watchStarted = 1;

/** Whether a broken stream is worth opening again (the server or the path to it went away), not a refusal. */
export function isResumable(err: unknown): boolean {
  const e = ConnectError.from(err);
  if (e.code === Code.Unavailable) return true;
  return (e.code === Code.Internal || e.code === Code.Unknown) && /ECONNRESET|EPIPE|socket hang up|stream closed|GOAWAY|NGHTTP2/i.test(e.rawMessage);
}

/** Runs until `signal` aborts (resolves) or the watch fails in a way that resuming cannot help (rejects). */
export async function runResumableWatch<T extends SequencedChange>(options: ResumableWatchOptions<T>): Promise<void> {
  const { signal } = options;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener("abort", onAbort);
  let last = 0n;
  let startedShown = false;
  let fatal: unknown;
  try {
    await retryWithBackoff(
      async (progress) => {
        try {
          for await (const change of options.open(last, signal)) {
            if (change.changeType === watchStarted) {
              if (last === 0n) last = change.sequence;
              progress();
              if (startedShown) continue;
              startedShown = true;
            } else {
              last = change.sequence;
            }
            options.onChange(change);
          }
        } catch (err) {
          if (signal.aborted) return;
          // Before the first stream came up, a failure is reported as it is (the service is not there at all).
          if (!startedShown || !isResumable(err)) {
            fatal = err;
            stop.abort();
            return;
          }
          throw err;
        }
        if (!signal.aborted) throw new ConnectError("the watch stream ended", Code.Unavailable);
      },
      {
        signal: stop.signal,
        firstDelayMs: 500,
        maxDelayMs: 10_000,
        onFailure: (err, delayMs) => options.onInterrupted?.(ConnectError.from(err), delayMs),
      },
    );
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  if (fatal !== undefined) throw fatal;
}
