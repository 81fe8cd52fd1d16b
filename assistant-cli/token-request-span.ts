/**
 * A client span per request to the auth provider's endpoints (OpenTelemetry's
 * HTTP conventions): `POST /auth/oauth/token`, with http.request.method,
 * url.full (without credentials or query), server.address and
 * http.response.status_code, whose trace context travels as the `traceparent`
 * header. The request's headers and body (the secret, the client assertion,
 * the DPoP proof) are never recorded.
 */
import { m2mTracer, otelApi, tracingEnabled } from "../common/tracing.js";

/**
 * Sends the request in a client span while tracing is on, adding `traceparent` to headers first; else just sends it.
 * send must read headers when it is called.
 */
export async function inTokenRequestSpan(method: string, url: string, headers: Record<string, string>, send: () => Promise<Response>): Promise<Response> {
  if (!tracingEnabled()) return send();
  const { context, propagation, SpanKind, SpanStatusCode, trace } = otelApi();
  const target = new URL(url);
  const span = m2mTracer().startSpan(`${method} ${target.pathname}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      "http.request.method": method,
      "url.full": `${target.protocol}//${target.host}${target.pathname}`,
      "server.address": target.hostname,
      ...(target.port === "" ? {} : { "server.port": Number(target.port) }),
    },
  });
  const active = trace.setSpan(context.active(), span);
  propagation.inject(active, headers);
  try {
    const response = await context.with(active, send);
    span.setAttribute("http.response.status_code", response.status);
    if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  } catch (err) {
    // The error's class only (a timeout, a TLS failure): messages may name files or hosts the trace need not hold.
    span.setAttribute("error.type", err instanceof Error ? err.name : "error");
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}
