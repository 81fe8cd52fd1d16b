/**
 * The token budget on PostgreSQL (auth_token_budget_windows), counted across
 * every replica: one row per client holding its current minute's count, taken
 * by one conditional upsert. The row is reset when a new minute starts and
 * incremented only while below the limit, so concurrent takes on several
 * replicas never exceed it and a refused take counts nothing. Rows of clients
 * idle for a while are deleted in bounded batches now and then.
 */
import type { PostgresPool } from "../../common/database/postgres-pool.js";
import type { TokenBudget } from "./auth-store.js";
import { budgetWindowMs, checkPerMinute, retryAfterSeconds, windowStartOf } from "./memory-token-budget.js";
import { createPruneGate } from "./prune-gate.js";
import { pruneBatch } from "./revocation-snapshot.js";

/** Creates the budget over a migrated database. */
export function createPostgresTokenBudget(pool: PostgresPool, now: () => number = Date.now): TokenBudget {
  const pruneDue = createPruneGate(now);
  return {
    async take(clientId, perMinute, nowMs) {
      checkPerMinute(perMinute);
      const startMs = windowStartOf(nowMs);
      // A replica whose clock is behind counts into the later window another replica already started.
      const { rows } = await pool.query(
        `INSERT INTO auth_token_budget_windows AS w (client_id, window_start_ms, taken) VALUES ($1, $2, 1)
           ON CONFLICT (client_id) DO UPDATE SET
             taken = CASE WHEN w.window_start_ms < $2 THEN 1 ELSE w.taken + 1 END,
             window_start_ms = greatest(w.window_start_ms, $2)
           WHERE w.window_start_ms < $2 OR w.taken < $3
         RETURNING 1`,
        [clientId, startMs, perMinute],
      );
      if (pruneDue()) {
        await pool.query(
          `DELETE FROM auth_token_budget_windows WHERE client_id IN
             (SELECT client_id FROM auth_token_budget_windows WHERE window_start_ms < $1 LIMIT ${pruneBatch} FOR UPDATE SKIP LOCKED)`,
          [startMs - budgetWindowMs],
        );
      }
      // When refused, the retry is counted from this replica's minute (a clock ahead of it shortens the wait a little).
      return rows[0] !== undefined ? { ok: true } : { ok: false, retryAfterSeconds: retryAfterSeconds(startMs, nowMs) };
    },
  };
}
