/** The pool gauge reads the pool at scrape time (a stand-in pool: no database needed). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import type { PostgresPool } from "./postgres-pool.js";
import { registerPostgresPoolMetrics } from "./postgres-pool-metrics.js";

test("m2m_db_pool_connections shows total, idle and waiting as the pool has them when scraped", async () => {
  const pool = { totalCount: 3, idleCount: 1, waitingCount: 0 };
  const registry = new Registry();
  registerPostgresPoolMetrics(registry, pool as unknown as PostgresPool);
  const read = async () => (await registry.metrics()).split("\n").filter((l) => l.startsWith("m2m_db_pool_connections{"));
  assert.deepEqual(await read(), ['m2m_db_pool_connections{state="total"} 3', 'm2m_db_pool_connections{state="idle"} 1', 'm2m_db_pool_connections{state="waiting"} 0']);
  Object.assign(pool, { totalCount: 10, idleCount: 0, waitingCount: 7 });
  assert.deepEqual(await read(), ['m2m_db_pool_connections{state="total"} 10', 'm2m_db_pool_connections{state="idle"} 0', 'm2m_db_pool_connections{state="waiting"} 7']);
});
