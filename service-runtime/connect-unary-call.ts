/**
 * A unary Connect call (POST, `application/proto` or `application/json`) on
 * the fast path, answered as connect's Connect handler answers it:
 * connect-timeout-ms and the deadline, compression (content-encoding,
 * accept-encoding), the body within the read limit and its Content-Length
 * (the same refusals, codes and messages), errors as an HTTP status with the
 * JSON error body and the error's metadata as headers, trailers as
 * `trailer-` headers.
 */
import type http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { invokeUnaryImplementation } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes, parseTimeout } from "@connectrpc/connect/protocol-connect";
import { abortWhenClosedEarly, callCompleted, nodeHeadersOf, readRequestBody, single, writable } from "./http2-call-io.js";
import { LazyHeaderFields } from "./lazy-header-fields.js";
import type { FastCall } from "./unary-fast-path.js";

const protoResponseHeader = Object.freeze({ "content-type": "application/proto" });
const jsonResponseHeader = Object.freeze({ "content-type": "application/json" });
const noTrailers = Object.freeze({});

export function serveConnectCall(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, call: FastCall, binary: boolean): void {
  const { method, options } = call;
  const serialization = binary ? method.binary : method.json;
  const timeout = parseTimeout(single(headers["connect-timeout-ms"]), options.maxTimeoutMs);
  const context = call.createContext({
    method: method.spec.method,
    protocolName: "connect",
    url: call.url,
    timeoutMs: timeout.timeoutMs,
    requestHeader: new LazyHeaderFields(headers),
    responseHeader: new LazyHeaderFields(binary ? protoResponseHeader : jsonResponseHeader),
    responseTrailer: new LazyHeaderFields(noTrailers),
    values: call.values,
  });
  const answering = abortWhenClosedEarly(stream, context);
  const compression = call.negotiate(single(headers["content-encoding"]), single(headers["accept-encoding"]), "accept-encoding");

  const answer = async (): Promise<{ status: number; body: Uint8Array } | undefined> => {
    let status = 200;
    let body: Uint8Array;
    try {
      if (compression.error) throw compression.error;
      if (timeout.error) throw timeout.error;
      let bytes: Uint8Array | undefined = await readBody(stream, options.readMaxBytes, single(headers["content-length"]));
      if (bytes === undefined) return undefined; // the client left; the call was aborted
      if (compression.request) bytes = await compression.request.decompress(bytes, options.readMaxBytes);
      const output = await invokeUnaryImplementation(method.spec, context, serialization.input.parse(bytes), options.interceptors);
      body = serialization.output.serialize(output);
      context.complete(callCompleted);
    } catch (err) {
      context.abort(err);
      const error = err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
      status = codeToHttpStatus(error.code);
      context.responseHeader.set("content-type", "application/json");
      error.metadata.forEach((value, key) => context.responseHeader.set(key, value));
      body = errorToJsonBytes(error, options.jsonOptions);
      // Whatever of the request was not read is discarded, so the client's upload is not stalled by flow control.
      stream.resume();
    }
    if (compression.response && body.byteLength >= options.compressMinBytes) {
      body = await compression.response.compress(body);
      context.responseHeader.set("content-encoding", compression.response.name);
    }
    return { status, body };
  };
  void answer().then((answer) => {
    if (answer === undefined || !writable(stream)) return;
    answering();
    try {
      const head = nodeHeadersOf(context.responseTrailer, nodeHeadersOf(context.responseHeader, { ":status": answer.status }), "trailer-");
      head["content-length"] = answer.body.byteLength;
      stream.respond(head);
      stream.end(answer.body);
    } catch {
      stream.destroy(); // closed in between: nobody waits for the answer
    }
  });
}

/** The body within readMaxBytes, held to its Content-Length when it has a valid one, refused as the adapter refuses it. */
async function readBody(stream: http2.ServerHttp2Stream, readMaxBytes: number, contentLength: string | null): Promise<Buffer | undefined> {
  const promised = contentLength === null ? NaN : parseInt(contentLength, 10);
  if (!Number.isSafeInteger(promised) || promised < 0) {
    return readRequestBody(stream, (_, size) => (size > readMaxBytes ? new ConnectError(`message size is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted) : undefined));
  }
  if (promised > readMaxBytes) throw new ConnectError(`message size ${promised} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
  const bytes = await readRequestBody(stream, (_, size) => (size > promised ? new ConnectError(`protocol error: promised ${promised} bytes, received ${size}`, Code.InvalidArgument) : undefined));
  if (bytes !== undefined && bytes.byteLength < promised) throw new ConnectError(`protocol error: promised ${promised} bytes, received ${bytes.byteLength}`, Code.InvalidArgument);
  return bytes;
}
