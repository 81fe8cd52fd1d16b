/**
 * A server span per call (OpenTelemetry's RPC conventions): named
 * `package.Service/Method`, with rpc.* attributes and rpc.grpc.status_code,
 * continuing the caller's trace from the `traceparent` request metadata. The
 * call runs with the span active, so the token check and storage below it are
 * its children. A streamed call's span ends when its stream does. Only the
 * method and the status are recorded: never metadata or messages.
 */
import { Code, type Interceptor } from "@connectrpc/connect";
import { grpcStatusCode, runInRpcSpan, metadataGetter, rpcAttributes, rpcSpanName } from "../common/rpc-spans.js";
import { m2mTracer, otelApi, tracingEnabled } from "../common/tracing.js";

/** The codes the conventions count as a server's fault (the span's status is then Error); others are the caller's. */
const serverFaults = new Set<number>([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

/** The interceptor as a list: empty when tracing is off (then calls run no tracing code at all). Place it first. */
export function rpcServerSpanInterceptors(): Interceptor[] {
  return tracingEnabled() ? [createRpcServerSpanInterceptor()] : [];
}

/** Creates the interceptor; place it first, so that its span covers the whole call, refusals included. */
export function createRpcServerSpanInterceptor(): Interceptor {
  const { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } = otelApi();
  const tracer = m2mTracer();
  return (next) => async (req) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.header, metadataGetter);
    const span = tracer.startSpan(rpcSpanName(req), { kind: SpanKind.SERVER, attributes: rpcAttributes(req) }, parent);
    const active = trace.setSpan(parent, span);
    const end = (err: unknown) => {
      const code = grpcStatusCode(err);
      span.setAttribute("rpc.grpc.status_code", code);
      // The code's name only: an error's message is for the caller, not for the trace.
      if (serverFaults.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: Code[code] });
      span.end();
    };
    return runInRpcSpan(active, () => next(req), end);
  };
}
