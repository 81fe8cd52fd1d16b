/**
 * The benchmark's way to measure what metrics cost: the RPC metrics
 * interceptor that every SIGUSR2 turns off or on again, so that one process
 * is compared with and without it (two identical processes differ by more
 * than a few percent). Only the per-call interceptor is switched: the token
 * guard's cache counter and the scrape listener stay as they are, and cost
 * next to nothing per call. Exists only in `bench/`, for the benchmark's own
 * entry point (`notes-with-metrics-switch.ts`).
 */
import type { Interceptor } from "@connectrpc/connect";

/** `metrics` until a SIGUSR2 turns it off, then no interceptor until the next SIGUSR2, and so on. */
export function createSwitchedMetricsInterceptor(metrics: Interceptor, onSwitch: (on: boolean) => void): Interceptor {
  let on = true;
  process.on("SIGUSR2", () => {
    on = !on;
    onSwitch(on);
  });
  return (next) => {
    const counted = metrics(next);
    return (req) => (on ? counted(req) : next(req));
  };
}
