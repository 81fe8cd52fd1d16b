/**
 * The benchmark's notes service with metrics on (NOTES_METRICS_PORT set by the
 * benchmark), composed as `notes/main.ts` is, except that SIGUSR2 turns its
 * RPC metrics interceptor off and on (see `switchable-metrics.ts`). Started
 * only by the benchmark.
 */
import { notesService } from "../notes/notes-service.js";
import { runService } from "../service-runtime/run-service.js";
import { createSwitchedMetricsInterceptor } from "./switchable-metrics.js";

await runService(notesService, {
  wrapMetricsInterceptor: (metrics, logger) => {
    logger.warn("this is the benchmark's notes service: SIGUSR2 turns the RPC metrics off and on");
    return createSwitchedMetricsInterceptor(metrics, (on) => logger.warn(on ? "RPC metrics are on again (SIGUSR2)" : "RPC metrics are off (SIGUSR2)"));
  },
});
