/**
 * The auth provider's entry point: reads the configuration, listens, starts
 * the backend (the embedded issuer, or SuperTokens when
 * SUPERTOKENS_CONNECTION_URI is set), and shuts down cleanly on SIGINT or SIGTERM.
 * Exit codes: 0 after a clean shutdown, 1 when start-up fails (e.g. the port is
 * taken), 2 for a configuration error.
 */
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../common/env.js";
import { createLogger, errorText, type Logger } from "../common/json-logger.js";
import { shutdownTracing, startTracing } from "../common/tracing.js";
import { buildAuthProviderListener } from "./http/app.js";
import type { AuthBackend } from "./auth-backend.js";
import { loadAuthProviderConfig, resolveIssuer, type AuthProviderConfig } from "./config.js";
import { startEmbeddedBackend } from "./embedded/embedded-backend.js";
import { startSuperTokensBackend } from "./supertokens/supertokens-backend.js";
import { startAuthObservability, type AuthObservability } from "./observability.js";

/** How long shutdown waits for in-flight requests before closing every connection. */
const shutdownGraceMs = 5000;

const logger = createLogger({ component: "auth-provider" });

async function main(): Promise<void> {
  let config: AuthProviderConfig;
  try {
    config = loadAuthProviderConfig(process.env);
    // Before the app and the store are built: they are traced only when tracing is on.
    await startTracing("auth-provider");
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`auth-provider: configuration error: ${err.message}\n`);
    process.exit(2);
  }

  // Before the public port: a taken metrics port or an unwritable audit trail stops start-up first.
  const observability = await startAuthObservability(process.env, config, logger);
  const server = createListeningServer(config);
  // The issuer may depend on the port we get (AUTH_PORT=0), so the backend starts once we listen.
  const port = await listen(server, config);
  const issuer = resolveIssuer(config, port);
  const backend = config.supertokens ? startSuperTokensBackend(config, issuer, logger) : await startEmbeddedBackend(config, issuer, logger, observability);
  server.on("request", buildAuthProviderListener({ logger, ...backend }));
  const url = `${config.tls ? "https" : "http"}://${urlHost(config.host)}:${port}`;
  logger.info("listening", { port, url, issuer, backend: backend.name, tls: config.tls !== undefined, tls_client_auth: config.clientCa !== undefined });
  handleShutdown(server, backend, observability, logger);
}

/**
 * Cleartext HTTP/1.1 by default; with TLS_CERT_FILE/TLS_KEY_FILE, HTTPS offering only http/1.1 by ALPN. With
 * AUTH_CLIENT_CA_FILE too, every handshake asks for a client certificate checked against that CA, without refusing
 * a connection that has none or an untrusted one: other client authentication methods keep working, and
 * tls_client_auth looks at the verdict (socket.authorized) per request.
 * Not HTTP/2: express 5 does not run on Node's http2 compatibility layer (the first HTTP/2 request
 * crashes in IncomingMessage._read, because express swaps the request's prototype for http's).
 */
function createListeningServer(config: AuthProviderConfig): Server {
  if (config.tls === undefined) return createServer();
  const clientCertificates = config.clientCa === undefined ? {} : { ca: config.clientCa, requestCert: true, rejectUnauthorized: false };
  return createHttpsServer({ cert: config.tls.cert, key: config.tls.key, ALPNProtocols: ["http/1.1"], ...clientCertificates });
}

// Resolves with the bound port; a taken port or a bad address becomes one readable error.
function listen(server: Server, config: AuthProviderConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`;
      if (err.code === "EADDRINUSE") {
        reject(new Error(`cannot listen on ${where}: the port is already in use (set AUTH_PORT)`));
      } else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") {
        reject(new Error(`cannot listen on ${where}: no such local address (set AUTH_HOST)`));
      } else reject(new Error(`cannot listen on ${where}: ${err.message}`));
    });
    server.listen(config.port, config.host, () => resolve((server.address() as AddressInfo).port));
  });
}

function handleShutdown(server: Server, backend: AuthBackend, observability: AuthObservability, log: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      server.closeAllConnections(); // a second signal: do not wait for slow clients
      return;
    }
    stopping = true;
    log.info("stopping", { signal });
    server.close(() => {
      backend.close();
      void Promise.allSettled([observability.close(), shutdownTracing()]).finally(() => {
        log.info("stopped");
        process.exit(0);
      });
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), shutdownGraceMs).unref();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

// Where clients can reach a server listening on host: an IPv6 literal in brackets, a wildcard as localhost.
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}

main().catch((err: unknown) => {
  logger.error(`auth-provider could not start: ${errorText(err)}`);
  process.exit(1);
});
