/**
 * Runs a task until it succeeds, waiting 1 s, 2 s, 4 s … (at most `maxDelayMs`)
 * between attempts, until `signal` aborts. Each failure is reported with the
 * delay before the next attempt.
 */
export interface RetryOptions {
  signal: AbortSignal;
  onFailure: (err: unknown, nextAttemptInMs: number, attempt: number) => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Resolves true once the task succeeded, false if aborted first. */
export async function retryWithBackoff(task: () => Promise<void>, options: RetryOptions): Promise<boolean> {
  let delay = options.firstDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  for (let attempt = 1; !options.signal.aborted; attempt++) {
    try {
      await task();
      return true;
    } catch (err) {
      if (options.signal.aborted) return false;
      options.onFailure(err, delay, attempt);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay);
      options.signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        options.signal.removeEventListener("abort", done);
        resolve();
      }
    });
    delay = Math.min(delay * 2, max);
  }
  return false;
}
