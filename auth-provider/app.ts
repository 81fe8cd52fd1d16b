/**
 * The auth provider's HTTP wiring, without a port: tests and main.ts build it
 * the same way. Routes live under the /auth base path, plus /healthz; every
 * other request gets a JSON 404, and an unexpected error a JSON 500 without
 * details.
 */
import express, { type ErrorRequestHandler, type Express } from "express";
import { errorText, type Logger } from "../common/json-logger.js";
import type { AccessTokenSigner } from "./access-token-signer.js";
import { createMetadataRoutes, wellKnownMetadataPath } from "./authorization-server-metadata.js";
import type { ClientStore } from "./client-store.js";
import type { PublicJwks } from "./issuer-keys.js";
import { requestLog } from "./request-log.js";
import { createTokenEndpoint } from "./token-endpoint.js";

/** The API base path. */
export const authBasePath = "/auth";

/** What the app needs, all created at start-up. */
export interface AuthProviderAppDeps {
  readonly issuer: string;
  readonly jwks: PublicJwks;
  readonly clientStore: ClientStore;
  readonly signer: AccessTokenSigner;
  /** Token lifetime for clients without their own. */
  readonly tokenTtlSeconds: number;
  readonly logger: Logger;
}

/** Builds the express app: token endpoint, JWKS, metadata, health, JSON 404 and a JSON error handler. */
export function buildAuthProviderApp(deps: AuthProviderAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.use(requestLog(deps.logger));

  const metadata = createMetadataRoutes(deps);
  app.use(authBasePath, createTokenEndpoint(deps));
  app.use(authBasePath, metadata);
  // RFC 8414 §3 puts the metadata of an issuer with a path at /.well-known/oauth-authorization-server/<path>.
  // Compared as a plain string: the issuer's path is configuration, not a route pattern.
  const wellKnown = wellKnownMetadataPath(deps.issuer);
  app.use((req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || req.path !== wellKnown) return next();
    req.url = "/.well-known/oauth-authorization-server";
    metadata(req, res, next);
  });
  app.get("/healthz", (_req, res) => {
    res.set("Cache-Control", "no-store");
    res.json({ status: "ok" });
  });

  app.use((_req, res) => {
    res.status(404).json({ error: "not_found", error_description: "no such endpoint" });
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === "number" && status >= 400 && status < 500 && !res.headersSent) {
      // A client mistake express itself detected (e.g. a badly encoded URL): not a server fault.
      res.status(status).json({ error: "invalid_request", error_description: "the request is malformed" });
      return;
    }
    deps.logger.error("request failed", { method: req.method, path: req.path, err: errorText(err) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.set("Cache-Control", "no-store");
    res.status(500).json({ error: "server_error" });
  };
  app.use(onError);
  return app;
}
