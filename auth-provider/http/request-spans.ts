/**
 * A server span per HTTP request (OpenTelemetry's HTTP conventions), continuing
 * the caller's trace from its `traceparent` header: http.request.method,
 * url.path (without the query), http.response.status_code, and for the
 * client-authenticated endpoints oauth.client_id once the client is
 * authenticated and oauth.outcome (`ok` or the RFC 6749 error code). The
 * request runs with the span active, so storage calls below it are its
 * children. Headers, bodies, tokens, secrets and assertions are never recorded.
 */
import type { RequestHandler } from "express";
import { m2mTracer, otelApi } from "../../common/tracing.js";

/** Longer paths are cut: a path is the caller's to choose. */
const maxPathLength = 256;

/** Middleware that records the span; mount it first. */
export function requestSpans(): RequestHandler {
  const { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } = otelApi();
  const tracer = m2mTracer();
  return (req, res, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const path = (req.originalUrl.split("?")[0] ?? "").slice(0, maxPathLength);
    const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { "http.request.method": req.method, "url.path": path } }, parent);
    const active = trace.setSpan(parent, span);
    // The body arrives in the request's stream events, which run outside this call: they must run in the span too.
    context.bind(active, req);
    context.bind(active, res);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      // Named by method and path, except for a 404: any path may be asked for, and names should stay few.
      if (res.statusCode !== 404) span.updateName(`${req.method} ${path}`);
      if (res.writableFinished) span.setAttribute("http.response.status_code", res.statusCode);
      else span.setStatus({ code: SpanStatusCode.ERROR, message: "the client went away before the answer" });
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: String(res.statusCode) });
      const clientId = res.locals["clientId"];
      const oauthError = res.locals["oauthError"];
      if (typeof clientId === "string") span.setAttribute("oauth.client_id", clientId);
      if (typeof oauthError === "string") span.setAttribute("oauth.outcome", oauthError);
      else if (typeof clientId === "string") span.setAttribute("oauth.outcome", "ok");
      span.end();
    };
    res.once("finish", end);
    res.once("close", end);
    context.with(active, next);
  };
}
