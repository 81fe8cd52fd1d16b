/**
 * Every open connection of a dual-protocol port, with its deadlines and its
 * part in a graceful shutdown. The same rules hold in cleartext and TLS:
 *
 * - From acceptance, a connection has SERVICE_HEADERS_TIMEOUT_MS to finish
 *   what comes before any request: the protocol sniff or TLS handshake, then
 *   the HTTP/2 client preface and SETTINGS, or the first HTTP/1.1 request's
 *   headers. Past it, HTTP/1.1 gets `408` and the connection is closed.
 * - An HTTP/1.1 connection with no request in flight is idle: it is closed
 *   after SERVICE_KEEP_ALIVE_TIMEOUT_MS; once a next request has begun, its
 *   headers must be complete within the headers timeout (so trickling bytes
 *   keeps nothing open).
 * - An HTTP/2 session with no open stream is idle: after
 *   SERVICE_HTTP2_IDLE_TIMEOUT_MS it gets GOAWAY (PINGs do not count).
 * - A response in progress (a watch stream over HTTP/1.1) or an open stream
 *   (HTTP/2) is never cut by these timeouts.
 *
 * Deadlines are absolute, not inactivity timers: one sweep (a few per timeout,
 * at most once a second) checks them, so the cost per connection is a map
 * entry and no timer of its own.
 */
import type http from "node:http";
import type http2 from "node:http2";
import type net from "node:net";
import type { ConnectionLimits } from "./connection-limits.js";

export type TrackedTimeouts = Pick<ConnectionLimits, "headersTimeoutMs" | "keepAliveTimeoutMs" | "http2IdleTimeoutMs">;

/** Tracks connections from acceptance to close; see the file comment for the rules. */
export interface ConnectionTracker {
  /** An admitted TCP connection whose protocol (or TLS handshake) is not settled yet. */
  accepted(socket: net.Socket): void;
  /** A connection that speaks HTTP/1.1 (for TLS, the TLS socket). */
  http1Socket(socket: net.Socket): void;
  http1Request(req: http.IncomingMessage, res: http.ServerResponse): void;
  /**
   * An HTTP/1.1 parse error (the http server's `clientError`): answers 431 (headers over the limit) or 400 and
   * closes once that is sent; with a response in progress it only closes. Node's default writes the answer and
   * destroys the socket at once, which over TLS loses the answer.
   */
  clientError(err: Error & { code?: string }, socket: net.Socket): void;
  /** An HTTP/2 session (created when the connection was handed over, before the client preface). */
  session(session: http2.ServerHttp2Session): void;
  /** Stops the sweep, asks open connections to finish (GOAWAY / Connection: close), resolves once `server` has closed or after graceMs. */
  close(server: net.Server, graceMs: number): Promise<void>;
}

interface Http1State {
  inFlight: number;
  /** When the last response ended (or the connection was accepted). */
  idleSince: number;
  /** socket.bytesRead when it became idle; more means a next request has begun. */
  bytesAtIdle: number;
  /** When the request whose headers are awaited began (seen by the sweep); undefined while none has. */
  headersSince: number | undefined;
}

interface Http2State {
  streams: number;
  startedAt: number;
  idleSince: number;
  /** The client's preface and SETTINGS have arrived. */
  settled: boolean;
  goingAway: boolean;
}

const timeoutResponse = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
const headersTooLargeResponse = "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
const badRequestResponse = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
/** After a polite close (FIN, GOAWAY), how long a peer that does not read may keep the descriptor. */
const closeGraceMs = 2_000;

/** Creates the tracker and starts its sweep (unref'd: it never keeps the process alive). */
export function createConnectionTracker(timeouts: TrackedTimeouts): ConnectionTracker {
  const sockets = new Set<net.Socket>();
  const pending = new Map<string, { socket: net.Socket; acceptedAt: number }>();
  const http1 = new Map<net.Socket, Http1State>();
  const sessions = new Map<http2.ServerHttp2Session, Http2State>();
  let closing = false;

  // The TLS socket is another object than the TCP socket it wraps; both have the same peer.
  const keyOf = (socket: net.Socket) => `${socket.remoteAddress}|${socket.remotePort}`;
  const acceptedAt = (socket: net.Socket) => {
    const key = keyOf(socket);
    const entry = pending.get(key);
    pending.delete(key);
    return entry?.acceptedAt ?? Date.now();
  };

  const sweep = () => {
    const now = Date.now();
    for (const { socket, acceptedAt } of pending.values()) {
      if (now - acceptedAt >= timeouts.headersTimeoutMs) socket.destroy();
    }
    for (const [socket, state] of http1) {
      if (state.inFlight > 0) continue;
      if (state.headersSince === undefined && socket.bytesRead > state.bytesAtIdle) state.headersSince = now;
      if (state.headersSince !== undefined) {
        if (now - state.headersSince >= timeouts.headersTimeoutMs) {
          http1.delete(socket);
          if (socket.writable) socket.write(timeoutResponse);
          closeSoon(socket);
        }
      } else if (now - state.idleSince >= timeouts.keepAliveTimeoutMs) {
        http1.delete(socket);
        closeSoon(socket);
      }
    }
    for (const [session, state] of sessions) {
      if (!state.settled) {
        if (now - state.startedAt >= timeouts.headersTimeoutMs) session.destroy();
      } else if (state.streams === 0 && !state.goingAway && now - state.idleSince >= timeouts.http2IdleTimeoutMs) {
        goAway(session, state);
      }
    }
  };
  const tickMs = Math.min(1_000, Math.max(25, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.keepAliveTimeoutMs, timeouts.http2IdleTimeoutMs) / 4)));
  const sweeper = setInterval(sweep, tickMs).unref();

  return {
    accepted(socket) {
      sockets.add(socket);
      const key = keyOf(socket);
      pending.set(key, { socket, acceptedAt: Date.now() });
      socket.once("close", () => {
        sockets.delete(socket);
        if (pending.get(key)?.socket === socket) pending.delete(key);
      });
    },
    http1Socket(socket) {
      const since = acceptedAt(socket);
      // A new connection owes its first request's headers from the moment it was accepted.
      http1.set(socket, { inFlight: 0, idleSince: since, bytesAtIdle: socket.bytesRead, headersSince: since });
      socket.once("close", () => http1.delete(socket));
    },
    http1Request(req, res) {
      const socket = req.socket;
      const state = http1.get(socket);
      if (state) {
        state.inFlight += 1;
        state.headersSince = undefined;
      }
      if (closing) res.setHeader("connection", "close");
      // A response sent before the request body was read (a message over the size limit) closes the connection:
      // a client must not reuse a socket whose unread upload is still in flight.
      const writeHead = res.writeHead;
      res.writeHead = function (this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
        if (!req.complete) this.setHeader("connection", "close");
        return writeHead.apply(this, args);
      } as typeof res.writeHead;
      res.once("close", () => {
        if (state && state.inFlight > 0 && --state.inFlight === 0) {
          state.idleSince = Date.now();
          state.bytesAtIdle = socket.bytesRead;
        }
        if (closing || !req.complete) socket.destroySoon();
      });
    },
    clientError(err, socket) {
      const state = http1.get(socket);
      http1.delete(socket);
      if (socket.writable && (state === undefined || state.inFlight === 0)) {
        socket.write(err.code === "HPE_HEADER_OVERFLOW" ? headersTooLargeResponse : badRequestResponse);
      }
      closeSoon(socket);
    },
    session(session) {
      const startedAt = session.socket ? acceptedAt(session.socket) : Date.now();
      const state: Http2State = { streams: 0, startedAt, idleSince: Date.now(), settled: false, goingAway: false };
      sessions.set(session, state);
      session.once("remoteSettings", () => {
        state.settled = true;
        state.idleSince = Date.now();
      });
      session.on("stream", (stream: http2.ServerHttp2Stream) => {
        state.streams += 1;
        stream.once("close", () => {
          if (--state.streams === 0) state.idleSince = Date.now();
        });
      });
      session.once("close", () => sessions.delete(session));
      if (closing) goAway(session, state);
    },
    async close(server, graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      closing = true;
      clearInterval(sweeper);
      for (const { socket } of pending.values()) socket.destroy();
      for (const [session, state] of sessions) goAway(session, state);
      // Idle HTTP/1.1 connections close now, busy ones after their current response.
      for (const [socket, state] of http1) if (state.inFlight === 0) socket.destroySoon();
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** GOAWAY (NO_ERROR): open streams finish, new ones go elsewhere; a session still open after the grace is destroyed. */
function goAway(session: http2.ServerHttp2Session, state: Http2State): void {
  if (state.goingAway) return;
  state.goingAway = true;
  session.close();
  // Streams accepted before the GOAWAY finish (the session then closes itself; at shutdown they get the whole
  // shutdown grace); a session with none left after the grace is destroyed.
  setTimeout(() => {
    if (state.streams === 0) session.destroy();
  }, closeGraceMs).unref();
}

/** Sends FIN after what is already written; destroys the socket if the peer has not let it finish within the grace. */
function closeSoon(socket: net.Socket): void {
  socket.destroySoon();
  const timer = setTimeout(() => socket.destroy(), closeGraceMs).unref();
  socket.once("close", () => clearTimeout(timer));
}
