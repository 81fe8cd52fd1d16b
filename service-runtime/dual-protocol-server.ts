/**
 * One TCP port that speaks HTTP/2 (gRPC, gRPC-Web, Connect) and HTTP/1.1
 * (Connect with plain curl, gRPC-Web from browsers), cleartext or TLS; both
 * protocols share one request handler.
 *
 * - Cleartext (the default): Node's `allowHTTP1` only works with TLS, so a
 *   plain `net` server peeks at the first bytes of each connection: the
 *   HTTP/2 preface goes to an http2 server, the rest to an http server.
 * - TLS: one `http2.createSecureServer({ allowHTTP1: true })`; ALPN decides
 *   (h2, else HTTP/1.1).
 *
 * Shutdown is the same for both: see {@link DualProtocolServer.close}.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import type { ServerTls } from "../common/tls.js";

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

// Oversized headers (a megabytes-long token) should reach the token guard, which answers a clear
// UNAUTHENTICATED, rather than be cut off by a protocol-level reset the caller cannot read. HTTP/1.1 takes up to
// 16 MiB. HTTP/2's header compression (nghttp2) cannot take single fields much past a few hundred kB, so HTTP/2
// advertises 256 KiB: larger header lists are refused at once by the client or the server (REFUSED_STREAM).
const maxHeaderBytes = 16 * 1024 * 1024;
const http2Limits = { settings: { maxHeaderListSize: 256 * 1024 } };

// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": three bytes tell it apart from any HTTP/1.1 method.
const prefaceStart = Buffer.from("PRI");
const firstBytesTimeoutMs = 10_000;

/**
 * Starts listening, cleartext unless `tls` is given; rejects when the port cannot be bound.
 */
export async function listenDualProtocol(handler: DualRequestHandler, port: number, host: string, tls?: ServerTls): Promise<DualProtocolServer> {
  const connections = trackConnections();
  const server = tls === undefined ? createCleartextServer(handler, connections) : createTlsServer(handler, connections, tls);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return { port: address.port, connectionCount: connections.count, close: (graceMs) => connections.close(server, graceMs) };
}

function createCleartextServer(handler: DualRequestHandler, connections: ConnectionTracker): net.Server {
  const h2 = http2.createServer(http2Limits, handler);
  const h1 = http.createServer({ maxHeaderSize: maxHeaderBytes }, handler);
  setHttp1Timeouts(h1);
  h1.on("request", connections.http1Request);
  h2.on("session", connections.session);

  return net.createServer((socket) => {
    connections.socket(socket);
    socket.on("error", () => socket.destroy());
    // A connection that never says which protocol it speaks is dropped.
    socket.setTimeout(firstBytesTimeoutMs, () => socket.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < prefaceStart.length && prefaceStart.subarray(0, head.length).equals(head)) return;
      socket.off("data", onData);
      socket.setTimeout(0);
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
  });
}

function createTlsServer(handler: DualRequestHandler, connections: ConnectionTracker, tls: ServerTls): net.Server {
  // A connection that does not finish its handshake in time is dropped, as in cleartext.
  const server = http2.createSecureServer(
    { ...http2Limits, cert: tls.cert, key: tls.key, allowHTTP1: true, handshakeTimeout: firstBytesTimeoutMs },
    handler,
  );
  // With allowHTTP1 the server takes http.Server's timeouts for HTTP/1.1 connections (the types do not say so).
  setHttp1Timeouts(server as unknown as http.Server);
  // Raw TCP sockets: counted, and destroyed when the grace period ends (whether or not the handshake finished).
  server.on("connection", connections.socket);
  server.on("secureConnection", (socket: TLSSocket) => {
    if (socket.alpnProtocol !== "h2") connections.http1Socket(socket);
  });
  server.on("session", connections.session);
  server.on("request", (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    if (req instanceof http.IncomingMessage) connections.http1Request(req, res as http.ServerResponse);
  });
  return server;
}

// Long watch streams must not be cut by Node's default request timeouts.
function setHttp1Timeouts(server: http.Server): void {
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
}

interface ConnectionTracker {
  /** Every accepted TCP connection. */
  socket(socket: net.Socket): void;
  /** A connection that speaks HTTP/1.1 (for TLS, the TLS socket). */
  http1Socket(socket: net.Socket): void;
  http1Request(req: http.IncomingMessage, res: http.ServerResponse): void;
  session(session: http2.ServerHttp2Session): void;
  count(): number;
  close(server: net.Server, graceMs: number): Promise<void>;
}

function trackConnections(): ConnectionTracker {
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  // HTTP/1.1 sockets with a response in progress; the others are idle and can be closed at once.
  const busy = new Set<net.Socket>();
  const h1Sockets = new Set<net.Socket>();
  let closing = false;
  return {
    socket(socket) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    },
    http1Socket(socket) {
      h1Sockets.add(socket);
      socket.once("close", () => h1Sockets.delete(socket));
    },
    http1Request(req, res) {
      const socket = req.socket;
      busy.add(socket);
      if (closing) res.setHeader("connection", "close");
      // A response sent before the request body was read (a message over the size limit) closes the connection:
      // a client must not reuse a socket whose unread upload is still in flight.
      const writeHead = res.writeHead;
      res.writeHead = function (this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
        if (!req.complete) this.setHeader("connection", "close");
        return writeHead.apply(this, args);
      } as typeof res.writeHead;
      res.once("close", () => {
        busy.delete(socket);
        if (closing || !req.complete) socket.destroySoon();
      });
    },
    session(session) {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    },
    count: () => sockets.size,
    async close(server, graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      closing = true;
      for (const session of sessions) session.close();
      // Idle HTTP/1.1 connections close now, busy ones after their current response.
      for (const socket of h1Sockets) if (!busy.has(socket)) socket.destroySoon();
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
