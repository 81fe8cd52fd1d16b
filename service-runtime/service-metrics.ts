/**
 * Every Prometheus metric of a service in one registry: process metrics
 * (labelled component="calendar" or "notes"), the RPC metrics of
 * metrics-interceptor.ts, the token guard's (auth-metrics.ts), open watch
 * streams by service, and on PostgreSQL the pool's connections. run-service.ts
 * builds it only when the service's metrics port is set: with metrics off no
 * interceptor or callback is added, so nothing is counted or slowed.
 */
import type { Interceptor } from "@connectrpc/connect";
import { Gauge, type Registry } from "prom-client";
import { createMetricsRegistry } from "../common/metrics-server.js";
import { registerPostgresPoolMetrics } from "../common/database/postgres-pool-metrics.js";
import { createAuthMetrics, type AuthMetrics } from "./auth-metrics.js";
import { createGrpcServerMetrics, createMetricsInterceptor } from "./metrics-interceptor.js";
import type { ServiceDatabase } from "./service-database.js";

export interface ServiceMetrics {
  readonly registry: Registry;
  /** The RPC metrics; first in the interceptor chain. */
  readonly interceptor: Interceptor;
  /** Callbacks for the token guard, the key source and the revocation follower. */
  readonly auth: AuthMetrics;
  /** For the watch limit interceptor's onOpenWatchesChange. */
  openWatchesChange(service: string, delta: 1 | -1): void;
}

export interface ServiceMetricsOptions {
  /** The service's name, the registry's component label. */
  component: string;
  database: ServiceDatabase;
  /** When the revocation list was last fetched successfully. */
  revocationListFetchedAt: () => Date | undefined;
}

export function createServiceMetrics(options: ServiceMetricsOptions): ServiceMetrics {
  const registry = createMetricsRegistry(options.component);
  const openWatches = new Gauge({ name: "m2m_open_watch_streams", help: "Watch streams open now, by service.", labelNames: ["grpc_service"], registers: [registry] });
  const byService = new Map<string, { inc(): void; dec(): void }>();
  if (options.database.kind === "postgres") registerPostgresPoolMetrics(registry, options.database.pool);
  return {
    registry,
    interceptor: createMetricsInterceptor(createGrpcServerMetrics(registry)),
    auth: createAuthMetrics(registry, { revocationListFetchedAt: options.revocationListFetchedAt }),
    openWatchesChange(service, delta) {
      let gauge = byService.get(service);
      if (gauge === undefined) byService.set(service, (gauge = openWatches.labels(service)));
      if (delta > 0) gauge.inc();
      else gauge.dec();
    },
  };
}
