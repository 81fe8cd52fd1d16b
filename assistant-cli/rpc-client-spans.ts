/**
 * A client span per RPC attempt (OpenTelemetry's RPC conventions), named
 * `package.Service/Method`, with rpc.* attributes, server.address and
 * rpc.grpc.status_code, whose trace context travels to the service as
 * `traceparent` request metadata. Innermost of the assistant's interceptors:
 * a retried read is two attempts, each its own span, and the token it gets
 * first is its sibling, not its child. Metadata and messages are never
 * recorded.
 */
import type { Interceptor } from "@connectrpc/connect";
import { grpcStatusCode, runInRpcSpan, metadataSetter, rpcAttributes, rpcSpanName } from "../common/rpc-spans.js";
import { m2mTracer, otelApi, tracingEnabled } from "../common/tracing.js";

/** The interceptor as a list: empty when tracing is off. Place it last (innermost). */
export function rpcClientSpanInterceptors(): Interceptor[] {
  return tracingEnabled() ? [createRpcClientSpanInterceptor()] : [];
}

/** Creates the interceptor. */
export function createRpcClientSpanInterceptor(): Interceptor {
  const { context, propagation, SpanKind, SpanStatusCode, trace } = otelApi();
  const tracer = m2mTracer();
  return (next) => async (req) => {
    const server = new URL(req.url);
    const span = tracer.startSpan(rpcSpanName(req), {
      kind: SpanKind.CLIENT,
      attributes: { ...rpcAttributes(req), "server.address": server.hostname, ...(server.port === "" ? {} : { "server.port": Number(server.port) }) },
    });
    const active = trace.setSpan(context.active(), span);
    propagation.inject(active, req.header, metadataSetter);
    const end = (err: unknown) => {
      const code = grpcStatusCode(err);
      span.setAttribute("rpc.grpc.status_code", code);
      if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    return runInRpcSpan(active, () => next(req), end);
  };
}
