/**
 * What the RPC spans of both sides share: the span name and rpc.* attributes
 * of OpenTelemetry's RPC semantic conventions, the gRPC status code of an
 * outcome, and how trace context travels in request metadata (W3C
 * `traceparent` as a header of the Fetch API's Headers, which Connect uses),
 * and ending a span when a streamed response ends.
 */
import { Code, ConnectError, type StreamResponse, type UnaryResponse } from "@connectrpc/connect";
import type { Attributes, Context, TextMapGetter, TextMapSetter } from "@opentelemetry/api";
import { otelApi } from "./tracing.js";

/** What names a method: the Connect request's service and method. */
export interface RpcMethodRef {
  readonly service: { readonly typeName: string };
  readonly method: { readonly name: string };
}

/** `package.Service/Method`, the span name the conventions give an RPC. */
export function rpcSpanName(ref: RpcMethodRef): string {
  return `${ref.service.typeName}/${ref.method.name}`;
}

/** rpc.system, rpc.service and rpc.method. The services speak gRPC, gRPC-Web and Connect; all are named "grpc". */
export function rpcAttributes(ref: RpcMethodRef): Attributes {
  return { "rpc.system": "grpc", "rpc.service": ref.service.typeName, "rpc.method": ref.method.name };
}

/** The gRPC status code of a call's outcome: 0 (OK) without an error, else the error's code (Connect's codes are gRPC's). */
export function grpcStatusCode(err: unknown): number {
  return err === undefined ? 0 : ConnectError.from(err).code;
}

/** Writes trace context into request metadata. */
export const metadataSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
};

/** Reads trace context from request metadata. */
export const metadataGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * The messages of a streamed response, each read in `ctx` (so that work the stream does, such as storage reads, is
 * part of its span); `end` is called once: with undefined when the stream ends, with the error when it fails, with
 * CANCELED when the reader stops early.
 */
export async function* endingWithStream<T>(messages: AsyncIterable<T>, ctx: Context, end: (err: unknown) => void): AsyncGenerator<T> {
  const { context } = otelApi();
  const iterator = messages[Symbol.asyncIterator]();
  let outcome: { err: unknown } | undefined;
  try {
    for (;;) {
      const next = await context.with(ctx, () => iterator.next());
      if (next.done === true) break;
      yield next.value;
    }
    outcome = { err: undefined };
  } catch (err) {
    outcome = { err };
    throw err;
  } finally {
    end(outcome === undefined ? new ConnectError("the stream was not read to its end", Code.Canceled) : outcome.err);
    // The reader returned early (the caller went away): let the source clean up too.
    if (outcome === undefined) await iterator.return?.();
  }
}

/**
 * Runs a call inside the span's context `ctx` and ends the span with its outcome: when a unary call settles, or
 * when a streamed response ends (see endingWithStream). What `end` records is the side's own business.
 */
export async function runInRpcSpan<R extends UnaryResponse | StreamResponse>(ctx: Context, call: () => Promise<R>, end: (err: unknown) => void): Promise<R> {
  const { context } = otelApi();
  let res: R;
  try {
    res = await context.with(ctx, call);
  } catch (err) {
    end(err);
    throw err;
  }
  if (!res.stream) {
    end(undefined);
    return res;
  }
  return { ...res, message: endingWithStream(res.message, ctx, end) } as R;
}
