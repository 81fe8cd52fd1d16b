/**
 * One TCP port that speaks HTTP/2 (gRPC, gRPC-Web, Connect) and HTTP/1.1
 * (Connect with plain curl, gRPC-Web from browsers), cleartext or TLS; both
 * protocols share one request handler.
 *
 * A plain `net` server accepts every connection in both modes, so that the
 * connection caps (`connection-admission.ts`) and the deadlines
 * (`connection-tracker.ts`) apply before any TLS or HTTP work, and alike:
 * - Cleartext (the default): Node's `allowHTTP1` only works with TLS, so the
 *   first bytes of each connection are peeked at: the HTTP/2 preface goes to
 *   an http2 server, the rest to an http server.
 * - TLS: the connection goes to one `http2.createSecureServer({ allowHTTP1:
 *   true })`; ALPN decides (h2, else HTTP/1.1). The server asks for a client
 *   certificate without requiring one and without judging it against a CA
 *   (requestCert, not rejectUnauthorized): a certificate-bound token
 *   (RFC 8705) names the certificate itself, and the handshake proved the
 *   client holds its key; clients without one connect as before.
 * The inner servers never listen themselves, so none of Node's own per-server
 * checks are relied on.
 *
 * Shutdown is the same for both: see {@link DualProtocolServer.close}.
 *
 * An HTTP/2 stream is offered to `takeHttp2Stream` first (the unary fast
 * path); what it leaves goes to Node's compatibility layer and the handler.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import type { ServerTls } from "../common/tls.js";
import type { Http2StreamTaker } from "./unary-fast-path.js";
import { createConnectionAdmission, type RefusalReport } from "./connection-admission.js";
import { maxHeaderBytes, type ConnectionLimits } from "./connection-limits.js";
import { createConnectionTracker, type ConnectionTracker } from "./connection-tracker.js";

export type DualRequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

export interface DualProtocolServer {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting connections, asks open ones to finish (GOAWAY / Connection: close), resolves when all are closed or after graceMs. */
  close(graceMs: number): Promise<void>;
  /** Number of open connections (for shutdown logs). */
  connectionCount(): number;
}

export interface DualProtocolOptions {
  /** Serve TLS with this certificate; default cleartext. */
  tls?: ServerTls;
  /** Deadlines, caps and the HTTP/2 stream limit. */
  limits: ConnectionLimits;
  /** Connections refused by a cap: called on the first, then at most once per 10 s with the counts since. */
  onConnectionsRefused?: (report: RefusalReport) => void;
  /** Offered every HTTP/2 stream before the handler; returns true when it answers the stream itself. */
  takeHttp2Stream?: Http2StreamTaker;
}

// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": three bytes tell it apart from any HTTP/1.1 method.
const prefaceStart = Buffer.from("PRI");

/**
 * Starts listening, cleartext unless `options.tls` is given; rejects when the port cannot be bound.
 */
export async function listenDualProtocol(handler: DualRequestHandler, port: number, host: string, options: DualProtocolOptions): Promise<DualProtocolServer> {
  const { limits } = options;
  const admission = createConnectionAdmission({ ...limits, onRefused: options.onConnectionsRefused });
  const connections = createConnectionTracker(limits);
  const dispatch =
    options.tls === undefined ? createCleartextDispatch(handler, connections, options) : createTlsDispatch(handler, connections, options, options.tls);
  const server = net.createServer((socket) => {
    socket.on("error", () => socket.destroy());
    if (!admission.admit(socket)) return;
    connections.accepted(socket);
    dispatch(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return { port: address.port, connectionCount: admission.count, close: (graceMs) => connections.close(server, graceMs) };
}

// Header limits: see maxHeaderBytes. The stream limit is advertised in SETTINGS and enforced by nghttp2 (a peer
// that ignores it has the extra streams refused).
function http2Options(limits: ConnectionLimits): http2.ServerOptions {
  return { settings: { maxHeaderListSize: maxHeaderBytes, maxConcurrentStreams: limits.http2MaxConcurrentStreams } };
}

/**
 * Puts `take` in front of Node's compatibility layer, which listens for the server's `stream` event (added when
 * the server got its request handler) and turns each stream into a request and response.
 */
function offerStreamsFirst(server: http2.Http2Server | http2.Http2SecureServer, take: Http2StreamTaker | undefined): void {
  if (take === undefined) return;
  const compatibility = server.listeners("stream");
  if (compatibility.length !== 1) throw new Error(`expected one listener of Node's HTTP/2 compatibility layer on "stream", found ${compatibility.length}`);
  const toCompatibility = compatibility[0] as (...args: unknown[]) => void;
  server.removeListener("stream", toCompatibility);
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    if (!take(stream, headers, rawHeaders)) toCompatibility(stream, headers, flags, rawHeaders);
  });
}

function createCleartextDispatch(handler: DualRequestHandler, connections: ConnectionTracker, options: DualProtocolOptions): (socket: net.Socket) => void {
  const { limits } = options;
  const h2 = http2.createServer(http2Options(limits), handler);
  offerStreamsFirst(h2, options.takeHttp2Stream);
  const h1 = http.createServer({ maxHeaderSize: maxHeaderBytes }, handler);
  setHttp1Timeouts(h1, limits);
  h1.on("request", connections.http1Request);
  h1.on("clientError", connections.clientError);
  h2.on("session", connections.session);

  // The tracker's headers deadline also covers a connection that never says which protocol it speaks.
  return (socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < prefaceStart.length && prefaceStart.subarray(0, head.length).equals(head)) return;
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      if (head.subarray(0, prefaceStart.length).equals(prefaceStart)) {
        h2.emit("connection", socket);
      } else {
        connections.http1Socket(socket);
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  };
}

function createTlsDispatch(handler: DualRequestHandler, connections: ConnectionTracker, options: DualProtocolOptions, tls: ServerTls): (socket: net.Socket) => void {
  const { limits } = options;
  // The tracker bounds the handshake absolutely; Node's handshakeTimeout (an inactivity timer) is only a backstop.
  const server = http2.createSecureServer(
    {
      ...http2Options(limits),
      cert: tls.cert,
      key: tls.key,
      allowHTTP1: true,
      handshakeTimeout: limits.headersTimeoutMs,
      requestCert: true,
      rejectUnauthorized: false,
    },
    handler,
  );
  offerStreamsFirst(server, options.takeHttp2Stream);
  // With allowHTTP1 the server takes http.Server's settings for HTTP/1.1 connections (the types do not say so).
  setHttp1Timeouts(server as unknown as http.Server, limits);
  (server as unknown as { maxHeaderSize: number }).maxHeaderSize = maxHeaderBytes;
  // Before Node's own listener hands the socket to the HTTP/1.1 parser, so the tracker knows it before any request.
  server.prependListener("secureConnection", (socket: TLSSocket) => {
    if (socket.alpnProtocol !== "h2") connections.http1Socket(socket);
  });
  server.on("session", connections.session);
  server.on("clientError", connections.clientError);
  server.on("request", (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    if (req instanceof http.IncomingMessage) connections.http1Request(req, res as http.ServerResponse);
  });
  return (socket) => server.emit("connection", socket);
}

// The tracker enforces the headers and keep-alive deadlines; Node's keep-alive timer also runs (it announces the
// timeout in a Keep-Alive header). Long watch streams must not be cut, so there is no request or socket timeout.
function setHttp1Timeouts(server: http.Server, limits: ConnectionLimits): void {
  server.requestTimeout = 0;
  server.timeout = 0;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}
