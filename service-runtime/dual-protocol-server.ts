/**
 * One TCP port that speaks HTTP/2 cleartext (gRPC, gRPC-Web, Connect) and
 * HTTP/1.1 (Connect with plain curl, gRPC-Web from browsers). Node's
 * `allowHTTP1` only works with TLS, so a plain `net` server peeks at the first
 * bytes of each connection: the HTTP/2 preface goes to an http2 server, the
 * rest to an http server. Both share one request handler.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

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

// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": three bytes tell it apart from any HTTP/1.1 method.
const prefaceStart = Buffer.from("PRI");
const firstBytesTimeoutMs = 10_000;

/** Starts listening; rejects when the port cannot be bound. */
export async function listenDualProtocol(handler: DualRequestHandler, port: number, host: string): Promise<DualProtocolServer> {
  const h2 = http2.createServer({}, handler);
  const h1 = http.createServer(handler);
  // Long watch streams must not be cut by Node's default request timeouts.
  h1.requestTimeout = 0;
  h1.headersTimeout = 60_000;
  h1.keepAliveTimeout = 5_000;

  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  // HTTP/1.1 sockets with a response in progress; the others are idle and can be closed at once.
  const busy = new Set<net.Socket>();
  const h1Sockets = new Set<net.Socket>();
  let closing = false;
  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    busy.add(socket);
    if (closing) res.setHeader("connection", "close");
    res.once("close", () => {
      busy.delete(socket);
      if (closing) socket.destroySoon();
    });
  });
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
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
        h1Sockets.add(socket);
        socket.once("close", () => h1Sockets.delete(socket));
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;

  return {
    port: address.port,
    connectionCount: () => sockets.size,
    async close(graceMs) {
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
