/**
 * The auth provider's observability at start-up: the audit trail
 * (AUTH_AUDIT_LOG, audit/audit-log.ts) and Prometheus metrics on their own
 * listener (AUTH_METRICS_PORT, off when unset; 127.0.0.1 unless METRICS_HOST),
 * and closing both at shutdown. With the SuperTokens backend only the process
 * metrics are served: its token endpoint is supertokens-node's, whose outcomes this process does not see.
 */
import { createMetricsRegistry, readMetricsSettings, startMetricsServer, type MetricsServer } from "../common/metrics-server.js";
import type { Logger } from "../common/json-logger.js";
import { openAuditLog, readAuditLogTarget, type AuditLog } from "./audit/audit-log.js";
import type { AuthProviderConfig } from "./config.js";
import { createAuthMetrics, type AuthMetrics } from "./http/auth-metrics.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The setting that turns the metrics listener on. */
export const authMetricsPortVariable = "AUTH_METRICS_PORT";

/** The opened trail and metrics. */
export interface AuthObservability {
  readonly audit: AuditLog;
  /** The auth provider's own metrics; undefined with the SuperTokens backend. */
  readonly metrics: AuthMetrics | undefined;
  /** The metrics listener; undefined when AUTH_METRICS_PORT is unset. */
  readonly metricsServer: MetricsServer | undefined;
  /** Stops the listener and flushes the trail. */
  close(): Promise<void>;
}

/**
 * Opens the audit trail and starts the metrics listener.
 * @throws ConfigError naming AUTH_AUDIT_LOG (unwritable file), AUTH_METRICS_PORT or METRICS_HOST (bad value); an Error
 *   naming AUTH_METRICS_PORT when its port is taken.
 */
export async function startAuthObservability(env: Env, config: Pick<AuthProviderConfig, "dataDir" | "supertokens">, logger: Logger): Promise<AuthObservability> {
  const settings = readMetricsSettings(env, authMetricsPortVariable);
  const audit = openAuditLog(readAuditLogTarget(env, config.dataDir), logger);
  const registry = createMetricsRegistry("auth-provider");
  const metrics = config.supertokens === undefined ? createAuthMetrics(registry) : undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    metricsServer = await startMetricsServer(registry, settings, authMetricsPortVariable, logger);
  } catch (err) {
    await audit.close();
    throw err;
  }
  return {
    audit,
    metrics,
    metricsServer,
    close: async () => {
      await Promise.all([metricsServer?.close(), audit.close()]);
    },
  };
}
