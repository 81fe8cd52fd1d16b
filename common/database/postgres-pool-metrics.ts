/**
 * The PostgreSQL pool's use as a Prometheus gauge, read from the pool when
 * scraped: `m2m_db_pool_connections{state="total"|"idle"|"waiting"}` —
 * connections open, those idle, and queries queued for a connection (a pool
 * at its maximum with queries waiting is the pool, not the database, limiting).
 */
import { Gauge, type Registry } from "prom-client";
import type { PostgresPool } from "./postgres-pool.js";

/** Registers the gauge in `registry`; it reads `pool` at every scrape and costs nothing between scrapes. */
export function registerPostgresPoolMetrics(registry: Registry, pool: PostgresPool): void {
  new Gauge({
    name: "m2m_db_pool_connections",
    help: "Connections of the PostgreSQL pool by state: total open, idle, and queries waiting for a connection.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.labels("total").set(pool.totalCount);
      this.labels("idle").set(pool.idleCount);
      this.labels("waiting").set(pool.waitingCount);
    },
  });
}
