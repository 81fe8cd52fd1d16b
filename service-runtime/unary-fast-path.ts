/**
 * Unary calls served straight from Node's HTTP/2 core API, the common case
 * made cheap. connect-node's adapter goes through Node's HTTP/2
 * compatibility layer (request and response objects) and a universal
 * request and response (URL parsing, header copies, an abort controller per
 * layer, async iterables for a single message); measured, that costs twice
 * the server CPU of plain @grpc/grpc-js per call.
 *
 * This path takes a `stream` event, reads the one message and runs the call
 * through a HandlerContext (unary-call-context.ts) and the same interceptors
 * and implementation as the adapter would, answering as it would: gRPC in
 * grpc-unary-call.ts, the Connect protocol in connect-unary-call.ts. It only
 * takes what it handles in full: a POST with an :authority to a unary method
 * that the adapter's options alone govern, of content type
 * `application/grpc`, `application/grpc+proto`, `application/proto` or
 * `application/json`. Everything else (gRPC-Web, other content types, Connect
 * GET, streaming methods, unknown paths, HTTP/1.1) stays with the adapter.
 */
import type http2 from "node:http2";
import type { Message } from "@bufbuild/protobuf";
import type { ContextValues } from "@connectrpc/connect";
import { compressionNegotiate, createMethodSerializationLookup, type Compression, type Serialization, type UniversalHandlerOptions } from "@connectrpc/connect/protocol";
import { serveConnectCall } from "./connect-unary-call.js";
import { serveGrpcCall } from "./grpc-unary-call.js";
import { unaryCallContexts, type UnaryCallContext, type UnaryCallInit } from "./unary-call-context.js";
import type { UnaryMethodSpec, UnaryMethods } from "./unary-routes.js";

/** What the per-call context values are built from: the connection and the header fields as received. */
export interface CallTransport {
  /** The connection's socket (a proxy of the HTTP/2 session's). */
  readonly socket: unknown;
  /** Header names and values in turn, repeated fields included. */
  readonly rawHeaders: readonly string[];
}

/** The adapter's handler options (validated, as validateUniversalHandlerOptions returns them), and what the fast path adds. */
export interface UnaryFastPathOptions
  extends Pick<
    UniversalHandlerOptions,
    "interceptors" | "readMaxBytes" | "writeMaxBytes" | "compressMinBytes" | "acceptCompression" | "maxTimeoutMs" | "binaryOptions" | "jsonOptions" | "requireConnectProtocolHeader"
  > {
  methods: UnaryMethods;
  /** Aborts every call's signal at the end of the shutdown grace. */
  shutdownSignal: AbortSignal;
  /** The adapter's `contextValues`, from the call's connection and raw headers. */
  contextValues: (transport: CallTransport) => ContextValues;
}

/** Takes a stream (and answers it) or leaves it (returns false) for the adapter. */
export type Http2StreamTaker = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]) => boolean;

/** A unary method and its message codecs, with the adapter's read and write limits. */
export interface FastMethod {
  spec: UnaryMethodSpec;
  binary: { input: Serialization<Message>; output: Serialization<Message> };
  json: { input: Serialization<Message>; output: Serialization<Message> };
  /** The call's URL by authority, for cleartext [0] and TLS [1] connections. */
  urls: [Map<string, string>, Map<string, string>];
}

/** connect's compressionNegotiate, with the header that names the accepted encodings in its error. */
export type CompressionNegotiation = (encoding: string | null, acceptEncoding: string | null, acceptHeader: string) => ReturnType<typeof compressionNegotiate>;

/** What a protocol's serve function gets for one call. */
export interface FastCall {
  method: FastMethod;
  options: UnaryFastPathOptions;
  url: string;
  values: ContextValues;
  createContext: (init: UnaryCallInit) => UnaryCallContext;
  negotiate: CompressionNegotiation;
}

/** Any client can send any :authority or accept-encoding: what is remembered per method is bounded. */
const maxRemembered = 64;

export function createUnaryFastPath(options: UnaryFastPathOptions): Http2StreamTaker {
  const methods = new Map<string, FastMethod>();
  for (const [path, spec] of options.methods) {
    // The adapter's codecs and limits: the same parse errors, the same limits.
    const lookup = createMethodSerializationLookup(spec.method, options.binaryOptions, options.jsonOptions, options);
    methods.set(path, {
      spec,
      binary: { input: lookup.getI(true), output: lookup.getO(true) },
      json: { input: lookup.getI(false), output: lookup.getO(false) },
      urls: [new Map(), new Map()],
    });
  }
  const createContext = unaryCallContexts(options.shutdownSignal);
  const negotiate = rememberedNegotiation(options.acceptCompression);
  return (stream, headers, rawHeaders) => {
    const path = headers[":path"];
    const method = path === undefined ? undefined : methods.get(path);
    if (method === undefined || headers[":method"] !== "POST") return false;
    const contentType = headers["content-type"];
    const grpc = contentType === "application/grpc" || contentType === "application/grpc+proto";
    // The Connect protocol version header, when the adapter requires it, is left to the adapter to demand.
    const connect = !grpc && !options.requireConnectProtocolHeader && (contentType === "application/proto" || contentType === "application/json");
    if (!grpc && !connect) return false;
    const authority = headers[":authority"];
    const session = stream.session;
    if (authority === undefined || session === undefined) return false;
    let url;
    try {
      url = urlOf(method, session.encrypted === true, authority, path!);
    } catch {
      return false; // an :authority no URL can hold: the adapter answers it as it does
    }
    const call: FastCall = { method, options, url, values: options.contextValues({ socket: session.socket, rawHeaders }), createContext, negotiate };
    if (grpc) serveGrpcCall(stream, headers, call);
    else serveConnectCall(stream, headers, call, contentType === "application/proto");
    return true;
  };
}

/** The adapter's URL for a call: new URL(path, scheme://authority), normalised; callers use a few authorities, so it is kept. */
function urlOf(method: FastMethod, encrypted: boolean, authority: string, path: string): string {
  const urls = method.urls[encrypted ? 1 : 0];
  let url = urls.get(authority);
  if (url === undefined) {
    url = new URL(path, `${encrypted ? "https" : "http"}://${authority}`).toString();
    if (urls.size >= maxRemembered) urls.clear();
    urls.set(authority, url);
  }
  return url;
}

/**
 * connect's compressionNegotiate, remembered by header values: a client sends the same pair on every call (grpc-js:
 * "identity,deflate,gzip"), which connect would split and match each time. Refusals are not remembered.
 */
function rememberedNegotiation(available: Compression[]): CompressionNegotiation {
  const known = new Map<string | null, Map<string | null, ReturnType<typeof compressionNegotiate>>>();
  let size = 0;
  return (encoding, acceptEncoding, acceptHeader) => {
    let byAccept = known.get(encoding);
    let result = byAccept?.get(acceptEncoding);
    if (result !== undefined) return result;
    result = compressionNegotiate(available, encoding, acceptEncoding, acceptHeader);
    if (result.error !== undefined) return result;
    if (size >= maxRemembered) {
      known.clear();
      size = 0;
    }
    if (byAccept === undefined) known.set(encoding, (byAccept = new Map()));
    byAccept.set(acceptEncoding, result);
    size++;
    return result;
  };
}
