/**
 * Runs a task until it succeeds, waiting about 1 s, 2 s, 4 s … (at most
 * `maxDelayMs`) between attempts, until `signal` aborts. Each wait is spread
 * at random over ±20 % of its nominal delay (grpc-js's BACKOFF_JITTER), so
 * that replicas which failed together (a core or service restarting) do not
 * all retry in the same instant. Used by everything in this project that
 * retries on its own: the SuperTokens core connection and the terminal UI's
 * watch reconnects.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface RetryOptions {
  /** Stops the retries: once it aborts no attempt starts and the wait in progress ends. */
  signal: AbortSignal;
  /**
   * Called after each failure (not one while aborting) with the wait before the next attempt, jitter included,
   * and the number of failures in a row (1 for the first, again after the task reported progress).
   */
  onFailure: (err: unknown, nextAttemptInMs: number, attempt: number) => void;
  /** The nominal wait after a first failure; doubled after each further one. Default 1000 ms. */
  firstDelayMs?: number;
  /** The largest nominal wait; jitter may add up to `jitter` of it. Default 30000 ms. */
  maxDelayMs?: number;
  /** Each wait is drawn uniformly from ±`jitter` of its nominal delay; 0 for none. Default 0.2. */
  jitter?: number;
  /** A uniform random number in [0, 1); default Math.random. Tests pass a fixed one. */
  random?: () => number;
}

/**
 * One attempt. It may call `progress()` once it got somewhere (a stream came up), so that its next failure
 * starts the backoff over at `firstDelayMs`, as attempt 1.
 */
export type RetryTask = (progress: () => void) => Promise<void>;

/** The nominal wait after `failures` failures in a row (1-based): firstDelayMs doubled each time, at most maxDelayMs. */
export function backoffDelay(failures: number, firstDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, firstDelayMs * 2 ** Math.max(0, failures - 1));
}

/** `delayMs` moved by up to ±`jitter` of itself, to where `random()` (in [0, 1)) points; whole milliseconds. */
export function withJitter(delayMs: number, jitter: number, random: () => number): number {
  return Math.round(delayMs * (1 + jitter * (2 * random() - 1)));
}

/**
 * Resolves true once the task succeeded, false if `signal` aborted first; never rejects because of the task.
 * @throws TypeError when a delay is not a positive number, maxDelayMs is below firstDelayMs, or jitter is not in [0, 1).
 */
export async function retryWithBackoff(task: RetryTask, options: RetryOptions): Promise<boolean> {
  const { signal, onFailure, firstDelayMs = 1000, maxDelayMs = 30_000, jitter = 0.2, random = Math.random } = options;
  if (!(firstDelayMs > 0) || !(maxDelayMs >= firstDelayMs)) {
    throw new TypeError(`retryWithBackoff: need 0 < firstDelayMs <= maxDelayMs, not ${firstDelayMs} and ${maxDelayMs}`);
  }
  if (!(jitter >= 0 && jitter < 1)) throw new TypeError(`retryWithBackoff: jitter must be in [0, 1), not ${jitter}`);

  let failures = 0;
  const progress = () => {
    failures = 0;
  };
  while (!signal.aborted) {
    let delay: number;
    try {
      await task(progress);
      return true;
    } catch (err) {
      if (signal.aborted) return false;
      failures += 1;
      delay = withJitter(backoffDelay(failures, firstDelayMs, maxDelayMs), jitter, random);
      onFailure(err, delay, failures);
    }
    try {
      await sleep(delay, undefined, { signal });
    } catch (err) {
      if (signal.aborted) return false;
      throw err;
    }
  }
  return false;
}
