/**
 * A unary gRPC call on the fast path, answered as connect's gRPC handler
 * (with the unary path of patches/@connectrpc+connect+*.patch) answers it:
 * grpc-timeout and the deadline, compression (grpc-encoding,
 * grpc-accept-encoding), one enveloped message within the read limit (the
 * same refusals, codes and messages), errors in the trailers (grpc-status,
 * grpc-message, grpc-status-details-bin and the error's metadata).
 */
import type http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Message } from "@bufbuild/protobuf";
import { compressedFlag, encodeEnvelope, envelopeCompress, envelopeDecompress, invokeUnaryImplementation, type Serialization } from "@connectrpc/connect/protocol";
import { grpcStatusOk, parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { abortWhenClosedEarly, callCompleted, nodeHeadersOf, readRequestBody, single, writable } from "./http2-call-io.js";
import { LazyHeaderFields } from "./lazy-header-fields.js";
import type { FastCall } from "./unary-fast-path.js";

const defaultResponseHeader = Object.freeze({ "content-type": "application/grpc+proto" });
const defaultResponseTrailer = Object.freeze({ "grpc-status": grpcStatusOk });

export function serveGrpcCall(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, call: FastCall): void {
  const { method, options } = call;
  const timeout = parseTimeout(single(headers["grpc-timeout"]), options.maxTimeoutMs);
  const context = call.createContext({
    method: method.spec.method,
    protocolName: "grpc",
    url: call.url,
    timeoutMs: timeout.timeoutMs,
    requestHeader: new LazyHeaderFields(headers),
    responseHeader: new LazyHeaderFields(defaultResponseHeader),
    responseTrailer: new LazyHeaderFields(defaultResponseTrailer),
    values: call.values,
  });
  const answering = abortWhenClosedEarly(stream, context);
  const compression = call.negotiate(single(headers["grpc-encoding"]), single(headers["grpc-accept-encoding"]), "grpc-accept-encoding");
  if (compression.response) context.responseHeader.set("grpc-encoding", compression.response.name);

  const answer = async (): Promise<Uint8Array | undefined> => {
    try {
      if (compression.error) throw compression.error;
      if (timeout.error) throw timeout.error;
      const envelope = await readEnvelope(stream, options.readMaxBytes);
      if (envelope === undefined) return undefined; // the client left; the call was aborted
      // (De)compression only when it applies: each await is a turn of the event loop.
      const data = (envelope.flags & compressedFlag) === 0 ? envelope.data : (await envelopeDecompress(envelope, compression.request, options.readMaxBytes)).data;
      const input = parseInput(method.binary.input, data);
      const output = await invokeUnaryImplementation(method.spec, context, input, options.interceptors);
      const serialized = method.binary.output.serialize(output);
      const body =
        compression.response === null || serialized.byteLength < options.compressMinBytes
          ? { flags: 0, data: serialized }
          : await envelopeCompress({ flags: 0, data: serialized }, compression.response, options.compressMinBytes);
      context.complete(callCompleted);
      return encodeEnvelope(body.flags, body.data);
    } catch (err) {
      context.abort(err);
      setTrailerStatus(context.responseTrailer, err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err));
      // Whatever of the request was not read is discarded, so the client's upload is not stalled by flow control.
      stream.resume();
      return new Uint8Array(0);
    }
  };
  void answer().then((body) => {
    if (body === undefined || !writable(stream)) return;
    answering();
    try {
      const trailers = nodeHeadersOf(context.responseTrailer, {});
      stream.respond(nodeHeadersOf(context.responseHeader, { ":status": 200 }), { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers(trailers));
      stream.end(body.byteLength === 0 ? undefined : body);
    } catch {
      stream.destroy(); // closed in between: nobody waits for the answer
    }
  });
}

/** The request's one message: at most one envelope of readMaxBytes plus its 5-byte prefix, refused as the adapter (patched) refuses it. */
async function readEnvelope(stream: http2.ServerHttp2Stream, readMaxBytes: number): Promise<{ flags: number; data: Uint8Array } | undefined> {
  let lengthChecked = false;
  const bytes = await readRequestBody(stream, (chunks, size) => {
    // A longer message is refused from its prefix, before the rest is read.
    if (!lengthChecked && size >= 5) {
      lengthChecked = true;
      const length = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).readUInt32BE(1);
      if (length > readMaxBytes) return new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
    }
    // More bytes after an envelope that fits are a second message.
    return size > readMaxBytes + 5 ? new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented) : undefined;
  });
  if (bytes === undefined) return undefined;
  if (bytes.byteLength < 5) {
    throw bytes.byteLength === 0
      ? new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented)
      : new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  }
  const length = bytes.readUInt32BE(1);
  if (bytes.byteLength < 5 + length) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  if (bytes.byteLength > 5 + length) throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  return { flags: bytes[0]!, data: bytes.subarray(5) };
}

/** A request message that does not parse is the client's bad input: INVALID_ARGUMENT, as on the adapter's gRPC path. */
function parseInput(serialization: Serialization<Message>, data: Uint8Array): Message {
  try {
    return serialization.parse(data);
  } catch (e) {
    throw e instanceof ConnectError && e.code === Code.Internal ? new ConnectError(e.rawMessage, Code.InvalidArgument, undefined, undefined, e) : e;
  }
}
