/**
 * The services' RPC metrics, under the names and labels go-grpc-prometheus
 * writes (so existing dashboards and alerts work), plus `protocol` (grpc,
 * grpc-web or connect): `grpc_server_started_total`,
 * `grpc_server_handled_total` (by `grpc_code`: OK, Unauthenticated, …) and
 * the `grpc_server_handling_seconds` histogram (go-grpc-prometheus's default
 * buckets). Placed first in the chain, the interceptor counts every call that
 * reaches a handler's chain, refused ones and health and reflection included;
 * a server stream is timed and counted when it ends, with the code it ends
 * with. Calls Connect answers before any interceptor (an unknown method, a
 * request too large or unparseable) are not counted, as in go-grpc-prometheus.
 *
 * Per call it allocates nothing of its own beyond the promise handlers: the
 * label children of each method, protocol and code are created once and kept.
 */
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import type { DescMethod } from "@bufbuild/protobuf";
import { Counter, Histogram, type Registry } from "prom-client";
import { protocolOf, type CallProtocol } from "./call-protocol.js";

/** go-grpc-prometheus's default buckets for grpc_server_handling_seconds, in seconds. */
export const handlingSecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** go-grpc-prometheus's grpc_type of a method. */
export function grpcTypeOf(methodKind: DescMethod["methodKind"]): string {
  switch (methodKind) {
    case "unary":
      return "unary";
    case "server_streaming":
      return "server_stream";
    case "client_streaming":
      return "client_stream";
    case "bidi_streaming":
      return "bidi_stream";
  }
}

/** The grpc_code of a call's outcome as gRPC's Code.String() writes it: "OK", "Unauthenticated", "DeadlineExceeded", … */
export function grpcCodeOf(err: unknown): string {
  return err === undefined ? "OK" : Code[ConnectError.from(err).code];
}

/** The three metric families, registered in `registry`. */
export interface GrpcServerMetrics {
  readonly started: Counter<string>;
  readonly handled: Counter<string>;
  readonly handlingSeconds: Histogram<string>;
}

const callLabels = ["grpc_service", "grpc_method", "grpc_type", "protocol"] as const;

export function createGrpcServerMetrics(registry: Registry): GrpcServerMetrics {
  return {
    started: new Counter({ name: "grpc_server_started_total", help: "Total number of RPCs started on the server.", labelNames: callLabels, registers: [registry] }),
    handled: new Counter({
      name: "grpc_server_handled_total",
      help: "Total number of RPCs completed on the server, regardless of success or failure.",
      labelNames: [...callLabels, "grpc_code"],
      registers: [registry],
    }),
    handlingSeconds: new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
      labelNames: callLabels,
      buckets: handlingSecondsBuckets,
      registers: [registry],
    }),
  };
}

/** The label children of one method over one protocol. */
interface MethodSeries {
  started: { inc(): void };
  handling: { observe(seconds: number): void };
  /** By code number (OK = 0); created on a code's first call. */
  handled: ({ inc(): void } | undefined)[];
  labels: readonly string[];
}

const protocols: readonly CallProtocol[] = ["grpc", "grpc-web", "connect"];

/** Creates the interceptor; place it first (outermost), before the call log and the token guard. */
export function createMetricsInterceptor(metrics: GrpcServerMetrics): Interceptor {
  const byMethod = new Map<DescMethod, MethodSeries[]>();

  function seriesOf(method: DescMethod, protocol: CallProtocol): MethodSeries {
    let all = byMethod.get(method);
    if (all === undefined) {
      all = protocols.map((p) => {
        const labels = [method.parent.typeName, method.name, grpcTypeOf(method.methodKind), p];
        return { started: metrics.started.labels(...labels), handling: metrics.handlingSeconds.labels(...labels), handled: [], labels };
      });
      byMethod.set(method, all);
    }
    return all[protocols.indexOf(protocol)]!;
  }

  function finish(series: MethodSeries, startedAt: number, err: unknown): void {
    series.handling.observe((performance.now() - startedAt) / 1000);
    const code = err === undefined ? 0 : ConnectError.from(err).code;
    (series.handled[code] ??= metrics.handled.labels(...series.labels, grpcCodeOf(err))).inc();
  }

  return (next) => (req) => {
    const startedAt = performance.now();
    const series = seriesOf(req.method, protocolOf(req.header.get("content-type")));
    series.started.inc();
    let response;
    try {
      response = next(req);
    } catch (err) {
      // An interceptor that refuses synchronously.
      finish(series, startedAt, err);
      throw err;
    }
    return response.then(
      (res) => {
        if (!res.stream) {
          finish(series, startedAt, undefined);
          return res;
        }
        return { ...res, message: countedStream(res.message, (err) => finish(series, startedAt, err), req.signal) } as StreamResponse;
      },
      (err: unknown) => {
        finish(series, startedAt, err);
        throw err;
      },
    );
  };
}

/**
 * Passes the stream through and reports how it ended: undefined when complete, else its error. A stream given up
 * without an error (the caller went away and Connect stopped reading) ends as CANCELED.
 */
async function* countedStream<T>(messages: AsyncIterable<T>, ended: (err: unknown) => void, signal: AbortSignal): AsyncIterable<T> {
  let reported = false;
  try {
    yield* messages;
    reported = true;
    ended(undefined);
  } catch (err) {
    reported = true;
    ended(err);
    throw err;
  } finally {
    if (!reported) ended(new ConnectError(signal.aborted ? "the caller went away" : "the stream was not read to its end", Code.Canceled));
  }
}
