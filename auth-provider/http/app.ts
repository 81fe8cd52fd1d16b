/**
 * The auth provider's HTTP shell, the same for both backends: request spans
 * (while tracing is on), request log,
 * the backend's routes under /auth, /healthz, a JSON 404, and a JSON error
 * handler that never shows a stack trace. Built without a port: main.ts
 * listens.
 */
import express, { type ErrorRequestHandler, type Express } from "express";
import { errorText, type Logger } from "../../common/json-logger.js";
import { tracingEnabled } from "../../common/tracing.js";
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
}

export function buildAuthProviderApp(deps: AuthProviderAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  if (tracingEnabled()) app.use(requestSpans());
  app.use(requestLog(deps.logger));
  deps.mountAuthRoutes(app);
  app.get("/healthz", (_req, res) => {
    const report = deps.health();
    res.set("Cache-Control", "no-store");
    res.status(report.ok ? 200 : 503).json(report.body);
  });

  app.use((_req, res) => {
    res.status(404).json({ error: "not_found", error_description: "no such endpoint" });
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
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
  app.use(onError);
  return app;
}
