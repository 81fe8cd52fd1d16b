/**
 * The auth provider's entry point: reads the configuration, creates or loads
 * the issuer keys and the client database, makes sure the assistant client
 * exists, listens, and shuts down cleanly on SIGINT or SIGTERM.
 * Exit codes: 0 after a clean shutdown, 1 when start-up fails (e.g. the port is
 * taken), 2 for a configuration error.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../common/env.js";
import { createLogger, errorText, type Logger } from "../common/json-logger.js";
import { createAccessTokenSigner } from "./access-token-signer.js";
import { buildAuthProviderApp } from "./app.js";
import { openAuthDatabase, type AuthDatabase } from "./auth-database.js";
import { bootstrapAssistantClient } from "./bootstrap-assistant-client.js";
import { createClientStore } from "./client-store.js";
import { loadAuthProviderConfig, resolveIssuer, type AuthProviderConfig } from "./config.js";
import { loadOrCreateIssuerKeys } from "./issuer-keys.js";

/** How long shutdown waits for in-flight requests before closing every connection. */
const shutdownGraceMs = 5000;

const logger = createLogger({ component: "auth-provider" });

async function main(): Promise<void> {
  let config: AuthProviderConfig;
  try {
    config = loadAuthProviderConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`auth-provider: configuration error: ${err.message}\n`);
    process.exit(2);
  }

  const keys = await loadOrCreateIssuerKeys(config.dataDir);
  logger.info(keys.created ? "created issuer keys" : "loaded issuer keys", { file: keys.file, kid: keys.current.kid });
  const db = openAuthDatabase(config.dataDir);
  const server = createServer();
  try {
    const clientStore = createClientStore(db, keys.clientSecretHashKey);
    bootstrapAssistantClient({ store: clientStore, dataDir: config.dataDir, logger });
    const port = await listen(server, config);
    const issuer = resolveIssuer(config, port);
    const signer = createAccessTokenSigner({ issuer, key: keys.current });
    const app = buildAuthProviderApp({
      issuer,
      jwks: keys.jwks,
      clientStore,
      signer,
      tokenTtlSeconds: config.tokenTtlSeconds,
      logger,
    });
    server.on("request", app);
    logger.info("listening", { port, url: `http://${urlHost(config.host)}:${port}`, issuer });
  } catch (err) {
    db.close();
    throw err;
  }
  handleShutdown(server, db, logger);
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

function handleShutdown(server: Server, db: AuthDatabase, log: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      server.closeAllConnections(); // a second signal: do not wait for slow clients
      return;
    }
    stopping = true;
    log.info("stopping", { signal });
    server.close(() => {
      db.close();
      log.info("stopped");
      process.exit(0);
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
