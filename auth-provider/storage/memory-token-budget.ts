/**
 * The token budget of the SQLite mode, counted in this process's memory: one
 * process serves a DATA_DIR, so nobody else issues tokens for its clients. A
 * fixed window per client starting on the minute, as on PostgreSQL
 * (postgres-token-budget.ts). Windows that have ended are dropped as new ones
 * start, so the map holds at most the clients served in the current minute.
 */
import type { TokenBudget } from "./auth-store.js";

/** One minute, in ms. */
export const budgetWindowMs = 60_000;

/** Creates an in-memory budget. */
export function createMemoryTokenBudget(): TokenBudget {
  const windows = new Map<string, { startMs: number; taken: number }>();
  let currentStartMs = 0;
  return {
    async take(clientId, perMinute, nowMs) {
      checkPerMinute(perMinute);
      const startMs = windowStartOf(nowMs);
      if (startMs > currentStartMs) {
        // A new minute: every older window has ended.
        currentStartMs = startMs;
        for (const [id, window] of windows) if (window.startMs < startMs) windows.delete(id);
      }
      const window = windows.get(clientId);
      const current = window !== undefined && window.startMs >= startMs ? window : { startMs, taken: 0 };
      if (current.taken >= perMinute) return { ok: false, retryAfterSeconds: retryAfterSeconds(current.startMs, nowMs) };
      windows.set(clientId, { startMs: current.startMs, taken: current.taken + 1 });
      return { ok: true };
    },
  };
}

/** The start of the minute nowMs lies in. */
export function windowStartOf(nowMs: number): number {
  return Math.floor(nowMs / budgetWindowMs) * budgetWindowMs;
}

/** Whole seconds until the window ends (at least 1). */
export function retryAfterSeconds(windowStartMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((windowStartMs + budgetWindowMs - nowMs) / 1000));
}

/** @throws TypeError unless perMinute is a whole number of at least 1. */
export function checkPerMinute(perMinute: number): void {
  if (!Number.isSafeInteger(perMinute) || perMinute < 1) throw new TypeError("perMinute must be a whole number of at least 1");
}
