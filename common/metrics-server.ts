/**
 * Prometheus metrics of one process: a registry with prom-client's default
 * process metrics (CPU, memory, event-loop lag, GC), served as text at
 * GET /metrics on a listener of its own. Never on the public port: labels
 * name clients. Off unless the part's metrics port is set; bound to
 * 127.0.0.1 unless METRICS_HOST says otherwise.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Registry } from "prom-client";
import { ConfigError, readOptionalString, readPort } from "./env.js";
import type { Logger } from "./json-logger.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Where to serve metrics; undefined port means off. */
export interface MetricsSettings {
  /** The part's metrics port setting (e.g. NOTES_METRICS_PORT); undefined when unset (metrics not served). */
  readonly port: number | undefined;
  /** METRICS_HOST; default 127.0.0.1. */
  readonly host: string;
}

/** The host metrics listen on unless METRICS_HOST says otherwise. */
export const defaultMetricsHost = "127.0.0.1";

/** Reads `portVariable` (e.g. AUTH_METRICS_PORT) and METRICS_HOST. @throws ConfigError naming a bad one. */
export function readMetricsSettings(env: Env, portVariable: string): MetricsSettings {
  const port = readOptionalString(env, portVariable) === undefined ? undefined : readPort(env, portVariable, 0);
  const host = readOptionalString(env, "METRICS_HOST") ?? defaultMetricsHost;
  if (/\s|\//.test(host)) throw new ConfigError("METRICS_HOST", `must be a host name or address (got ${JSON.stringify(host)})`);
  return { port, host };
}

/** A registry with the process metrics every part exports, labelled with the part's name. */
export function createMetricsRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves registry at GET /metrics (and 404 elsewhere) on settings.host:settings.port; undefined when metrics are off.
 * @throws Error naming the setting when the port cannot be bound.
 */
export async function startMetricsServer(registry: Registry, settings: MetricsSettings, portVariable: string, logger: Logger): Promise<MetricsServer | undefined> {
  if (settings.port === undefined) return undefined;
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at GET /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (err: unknown) => {
        logger.error("cannot collect metrics", { error: err instanceof Error ? err.message : String(err) });
        res.writeHead(500, { "content-type": "text/plain" }).end("cannot collect metrics\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve metrics on ${settings.host}:${settings.port} (${portVariable}): ${err.code === "EADDRINUSE" ? "the port is already in use" : err.message}`)),
    );
    server.listen(settings.port, settings.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info("serving metrics", { url: `http://${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${port}/metrics` });
  return {
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
