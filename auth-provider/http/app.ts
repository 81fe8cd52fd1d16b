/**
 * The auth provider's HTTP shell, the same for both backends: request spans
 * (while tracing is on), request log,
 * the backend's routes under /auth, /healthz, a JSON 404, and a JSON error
 * handler that never shows a stack trace; in front of the app, the backend's
 * plain routes (plain-routes.ts). Built without a port: main.ts listens.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler, type Express } from "express";
import { errorText, type Logger } from "../../common/json-logger.js";
import { tracingEnabled } from "../../common/tracing.js";
import { createPlainRoutesListener, type PlainRoute } from "./plain-routes.js";
import { requestLog } from "./request-log.js";
import { requestSpans } from "./request-spans.js";

/** The API base path. */
export const authBasePath = "/auth";

/** What /healthz answers: 200 when ok, else 503. */
export interface HealthReport {
  ok: boolean;
  body: Record<string, unknown>;
}

/** An error the backend knows how to answer (e.g. its core is down); undefined for anything else. */
export type ErrorAnswer = (err: unknown) => { status: number; body: Record<string, unknown> } | undefined;

export interface AuthProviderAppDeps {
  readonly logger: Logger;
  /** Mounts the backend's routes (token endpoint, JWKS, metadata). */
  readonly mountAuthRoutes: (app: Express) => void;
  readonly health: () => HealthReport;
  readonly answerError?: ErrorAnswer;
  /** Endpoints served on node:http's objects ahead of the app, by exact path (plain-routes.ts); default none. */
  readonly plainRoutes?: ReadonlyMap<string, PlainRoute>;
}

/** The request listener main.ts serves: the backend's plain routes (unless tracing is on), then the app. */
export function buildAuthProviderListener(deps: AuthProviderAppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const app = buildAuthProviderApp(deps);
  if (deps.plainRoutes === undefined || deps.plainRoutes.size === 0 || tracingEnabled()) return app;
  return createPlainRoutesListener(app, { routes: deps.plainRoutes, requestLog: requestLogOf(deps), onError: errorHandler(deps) });
}

export function buildAuthProviderApp(deps: AuthProviderAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  if (tracingEnabled()) app.use(requestSpans());
  const log = requestLogOf(deps);
  if (log !== undefined) app.use(log);
  deps.mountAuthRoutes(app);
  app.get("/healthz", (_req, res) => {
    const report = deps.health();
    res.set("Cache-Control", "no-store");
    res.status(report.ok ? 200 : 503).json(report.body);
  });

  app.use((_req, res) => {
    res.status(404).json({ error: "not_found", error_description: "no such endpoint" });
  });
  app.use(errorHandler(deps));
  return app;
}

// The log's lines are info: at LOG_LEVEL=warn or above nothing would be written, so no listener per request either.
function requestLogOf(deps: AuthProviderAppDeps) {
  return deps.logger.enabled("info") ? requestLog(deps.logger) : undefined;
}

function errorHandler(deps: AuthProviderAppDeps): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = deps.answerError?.(err);
    if (known && !res.headersSent) {
      res.set("Cache-Control", "no-store");
      res.status(known.status).json(known.body);
      return;
    }
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
}
