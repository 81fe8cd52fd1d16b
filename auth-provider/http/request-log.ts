/**
 * One JSON log line per HTTP request: method, path (without the query),
 * status, duration, and the client id and OAuth error code when there are any.
 * Headers, bodies, tokens and secrets are never logged.
 */
import type { RequestHandler } from "express";
import type { Logger } from "../../common/json-logger.js";

/** Middleware that logs each request when its response finishes or the connection closes first. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const path = req.originalUrl.split("?")[0];
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const fields: Record<string, unknown> = {
        method: req.method,
        path,
        status: res.writableFinished ? res.statusCode : 499, // 499: the client went away first
        duration_ms: Number((Number(process.hrtime.bigint() - started) / 1e6).toFixed(2)),
      };
      if (typeof res.locals["clientId"] === "string") fields["client_id"] = res.locals["clientId"];
      if (typeof res.locals["oauthError"] === "string") fields["error"] = res.locals["oauthError"];
      logger.info("request", fields);
    };
    res.once("finish", log);
    res.once("close", log);
    next();
  };
}
