/**
 * Watch streams end with their connection, and no caller holds more of them
 * than the limits allow (issue 11, item 3). Real notes processes, cleartext and
 * TLS, driven with raw node:http2 sessions and raw HTTP/1.1 sockets so that
 * each way a connection can go away is exactly what the test does: an HTTP/2
 * session destroyed without RST_STREAM, its socket destroyed, RST_STREAM
 * (CANCEL) on every stream, an HTTP/1.1 socket closed mid-stream. After each,
 * every handler must end (its call log line) and every change-feed subscriber
 * must be gone ("watch ended", watchers 0) within a few seconds. Watches over
 * SERVICE_MAX_WATCHES_PER_ADDRESS or SERVICE_MAX_WATCHES_PER_CLIENT get RESOURCE_EXHAUSTED
 * naming the setting, and a slot frees as soon as its connection goes away.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigError } from "../common/env.js";
import { loadServiceConfig } from "../service-runtime/service-config.js";
import { runCommand } from "./support/commands.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { printSummary } from "./support/summary-table.js";
import { serviceEnv } from "./support/system.js";
import { readAssistantCredentials, requestToken } from "./support/tokens.js";

const healthWatch = "/grpc.health.v1.Health/Watch";
const notesWatch = "/m2m.notes.v1.NoteService/WatchNotes";
const watchMethods = new Set([healthWatch.slice(1), notesWatch.slice(1)]);
/** How long a handler may take to end after its connection went away (the goal is one second; loaded CI machines are slow). */
const endBoundMs = 5000;
const emptyMessage = Buffer.alloc(5); // one gRPC / Connect envelope holding an empty message

interface Service {
  name: string;
  process: RunningProcess;
  /** PEM of the certificate to trust, when the service serves TLS. */
  ca?: string;
}

const data = tempDataDir();
let auth: RunningProcess;
let token: string;
let cleartext: Service;
let withTls: Service;
/** A service with small watch limits: 3 per address, 2 per client. */
let limited: Service;

/** A self-signed certificate for 127.0.0.1. */
async function makeCertificate(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost"];
  const result = await runCommand("openssl", [...args, "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", keyFile, "-out", certFile], { timeoutMs: 10_000 });
  assert.equal(result.code, 0, `openssl: ${result.stderr}`);
  return { certFile, keyFile };
}

before(async () => {
  auth = await startProcess("auth-provider/main.js", { env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: data.path } });
  const issuer = String(auth.logs().find((l) => l["msg"] === "listening")?.["issuer"]);
  const cert = await makeCertificate(data.path);
  const env = (dir: string) => serviceEnv("notes", join(data.path, dir), issuer, auth.url);
  const [plain, secure, small] = await Promise.all([
    startProcess("notes/main.js", { env: env("cleartext") }),
    startProcess("notes/main.js", { env: { ...env("tls"), TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile } }),
    startProcess("notes/main.js", { env: { ...env("limited"), SERVICE_MAX_WATCHES_PER_ADDRESS: "3", SERVICE_MAX_WATCHES_PER_CLIENT: "2" } }),
  ]);
  cleartext = { name: "cleartext", process: plain };
  withTls = { name: "TLS", process: secure, ca: readFileSync(cert.certFile, "utf8") };
  limited = { name: "limited", process: small };
  token = await requestToken(auth.url, readAssistantCredentials(data.path), "note-service", "note.read");
});

after(async () => {
  await Promise.all([cleartext, withTls, limited].map((s) => s?.process.stop()));
  await auth?.stop();
  data.remove();
});

const rows: { case: string; expected: string; observed: string }[] = [];
after(() => printSummary("watch streams after their connection goes away, and watch limits", rows));

/** A raw TCP (or TLS, by ALPN) connection to a service, optionally from a chosen loopback address. */
function connectRaw(service: Service, alpn: "h2" | "http/1.1", localAddress = "127.0.0.1"): net.Socket {
  const options = { host: "127.0.0.1", port: service.process.port, localAddress };
  if (service.ca === undefined) return net.connect(options);
  return tls.connect({ ...options, ca: [service.ca], ALPNProtocols: [alpn] });
}

interface H2Connection {
  session: http2.ClientHttp2Session;
  /** The socket under the session (destroying it bypasses HTTP/2 altogether). */
  socket: net.Socket;
}

function connectH2(service: Service, localAddress?: string): H2Connection {
  let socket: net.Socket | undefined;
  const scheme = service.ca === undefined ? "http" : "https";
  const session = http2.connect(`${scheme}://127.0.0.1:${service.process.port}`, {
    createConnection: () => (socket = connectRaw(service, "h2", localAddress)),
  });
  session.on("error", () => {});
  return { session, socket: socket! };
}

type WatchOutcome = { started: true; stream: http2.ClientHttp2Stream } | { started: false; status: number; message: string };

/** Opens a gRPC watch; resolves once its first message arrives, or with the status it was refused with. */
function openH2Watch(connection: H2Connection, path: string, bearer?: string): Promise<WatchOutcome> {
  return new Promise<WatchOutcome>((resolve, reject) => {
    const stream = connection.session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
    });
    let headers: http2.IncomingHttpHeaders = {};
    const refused = (fields: http2.IncomingHttpHeaders) =>
      resolve({ started: false, status: Number(fields["grpc-status"]), message: decodeURIComponent(String(fields["grpc-message"] ?? "")) });
    stream.on("response", (h) => {
      headers = h;
      if (h["grpc-status"] !== undefined) refused(h);
    });
    stream.on("trailers", (t) => refused({ ...headers, ...t }));
    stream.once("data", () => resolve({ started: true, stream }));
    stream.on("error", reject);
    stream.on("close", () => reject(new Error(`${path}: the stream closed before its first message`)));
    stream.end(emptyMessage);
  }).then((outcome) => {
    if (outcome.started) outcome.stream.removeAllListeners("error").on("error", () => {});
    return outcome;
  });
}

async function startedH2Watch(connection: H2Connection, path: string, bearer?: string): Promise<http2.ClientHttp2Stream> {
  const outcome = await openH2Watch(connection, path, bearer);
  assert.ok(outcome.started, `${path} should start, but was refused: ${outcome.started ? "" : `${outcome.status} ${outcome.message}`}`);
  return outcome.stream;
}

/** Opens a Connect or gRPC-Web watch over HTTP/1.1 on its own socket; resolves with the socket once the first message arrives. */
function openH1Watch(service: Service, path: string, contentType: string, bearer?: string): Promise<net.Socket> {
  const socket = connectRaw(service, "http/1.1");
  socket.on("error", () => {});
  const head = [
    `POST ${path} HTTP/1.1`,
    "host: 127.0.0.1",
    `content-type: ${contentType}`,
    `content-length: ${emptyMessage.length}`,
    ...(bearer === undefined ? [] : [`authorization: Bearer ${bearer}`]),
  ];
  socket.write(`${head.join("\r\n")}\r\n\r\n`);
  socket.write(emptyMessage);
  return new Promise((resolve, reject) => {
    socket.once("data", (chunk: Buffer) => {
      // The server sends its headers together with the first message.
      const status = chunk.toString("latin1").split("\r\n")[0];
      if (status === "HTTP/1.1 200 OK") resolve(socket);
      else reject(new Error(`${path} over HTTP/1.1: ${status}`));
    });
    socket.once("close", () => reject(new Error(`${path} over HTTP/1.1: closed before the first message`)));
  });
}

/** What the service's logs say about watches: handlers ended, and subscribers removed (with how many remain). */
function watchLog(service: Service) {
  const logs = service.process.logs();
  const ended = logs.filter((l) => l["msg"] === "watch ended");
  return {
    handlersEnded: logs.filter((l) => l["msg"] === "call" && watchMethods.has(String(l["method"]))).length,
    subscribersRemoved: ended.length,
    subscribersLeft: ended.at(-1)?.["watchers"],
  };
}

/**
 * Opens watches (`health` Health/Watch and `notes` WatchNotes), makes their
 * connection go away, and checks that every handler ends and every
 * subscriber is removed within the bound.
 */
async function expectWatchesEnd(
  service: Service,
  name: string,
  openAll: () => Promise<{ health: number; notes: number; goAway: () => void }>,
): Promise<void> {
  const before = watchLog(service);
  const { health, notes, goAway } = await openAll();
  const gone = performance.now();
  goAway();
  const wanted = { handlersEnded: before.handlersEnded + health + notes, subscribersRemoved: before.subscribersRemoved + notes };
  let now = watchLog(service);
  // Counted per case, so that a stream leaked by an earlier case does not fail this one.
  const done = () => now.handlersEnded >= wanted.handlersEnded && now.subscribersRemoved >= wanted.subscribersRemoved;
  while (!done() && performance.now() - gone < endBoundMs) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = watchLog(service);
  }
  const elapsed = Math.round(performance.now() - gone);
  const observed = done()
    ? `all ended in ${elapsed} ms`
    : `after ${elapsed} ms: ${now.handlersEnded - before.handlersEnded} of ${health + notes} handlers ended, ` +
      `${now.subscribersRemoved - before.subscribersRemoved} of ${notes} subscribers removed (${String(now.subscribersLeft)} left)`;
  rows.push({ case: `${service.name}: ${name}`, expected: `all ${health + notes} end within ${endBoundMs} ms`, observed });
  assert.ok(done(), `${service.name}: ${name}: ${observed}`);
}

/** Two health watches and two WatchNotes on one new HTTP/2 connection, interleaved. */
async function fourH2Watches(service: Service): Promise<H2Connection & { streams: http2.ClientHttp2Stream[] }> {
  const connection = connectH2(service);
  const streams: http2.ClientHttp2Stream[] = [];
  for (const path of [healthWatch, notesWatch, healthWatch, notesWatch]) {
    streams.push(await startedH2Watch(connection, path, path === notesWatch ? token : undefined));
  }
  return { ...connection, streams };
}

for (const [label, pick] of [["cleartext", () => cleartext], ["TLS", () => withTls]] as const) {
  test(`HTTP/2 session destroyed without RST_STREAM: every watch ends (${label})`, async () => {
    const service = pick();
    await expectWatchesEnd(service, "HTTP/2 session destroyed (no RST_STREAM)", async () => {
      const { session } = await fourH2Watches(service);
      return { health: 2, notes: 2, goAway: () => session.destroy() };
    });
  });

  test(`HTTP/2 socket destroyed: every watch ends (${label})`, async () => {
    const service = pick();
    await expectWatchesEnd(service, "HTTP/2 socket destroyed", async () => {
      const { session, socket } = await fourH2Watches(service);
      return {
        health: 2,
        notes: 2,
        goAway: () => {
          socket.destroy();
          session.destroy();
        },
      };
    });
  });

  test(`HTTP/2 RST_STREAM (CANCEL) on every stream: every watch ends (${label})`, async () => {
    const service = pick();
    let session: http2.ClientHttp2Session | undefined;
    try {
      await expectWatchesEnd(service, "RST_STREAM CANCEL, session kept open", async () => {
        const connection = await fourH2Watches(service);
        session = connection.session;
        return { health: 2, notes: 2, goAway: () => connection.streams.forEach((s) => s.close(http2.constants.NGHTTP2_CANCEL)) };
      });
    } finally {
      session?.destroy();
    }
  });

  test(`HTTP/1.1 socket closed mid-stream, Connect and gRPC-Web: every watch ends (${label})`, async () => {
    const service = pick();
    await expectWatchesEnd(service, "HTTP/1.1 sockets destroyed mid-stream", async () => {
      const sockets: net.Socket[] = [];
      for (const contentType of ["application/connect+proto", "application/grpc-web+proto"]) {
        sockets.push(await openH1Watch(service, healthWatch, contentType));
        sockets.push(await openH1Watch(service, notesWatch, contentType, token));
      }
      return { health: 2, notes: 2, goAway: () => sockets.forEach((s) => s.destroy()) };
    });
  });
}

test("no watch subscriber is left behind on either service", async () => {
  for (const service of [cleartext, withTls]) {
    const left = watchLog(service).subscribersLeft;
    rows.push({ case: `${service.name}: change-feed subscribers after every case`, expected: "0", observed: String(left) });
    assert.equal(left, 0, `${service.name}: watch subscribers left`);
  }
});

/** Opens watches until `count` have started (as slots free) or the bound passes; returns how long it took. */
async function startWithin(count: number, open: () => Promise<WatchOutcome>, what: string): Promise<number> {
  const start = performance.now();
  for (let started = 0; started < count; ) {
    const outcome = await open();
    if (outcome.started) {
      started++;
      continue;
    }
    assert.ok(performance.now() - start < endBoundMs, `${what}: ${started} of ${count} started, then refused for ${endBoundMs} ms: ${outcome.message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Math.round(performance.now() - start);
}

test("watches over SERVICE_MAX_WATCHES_PER_ADDRESS get RESOURCE_EXHAUSTED; a slot frees when its connection goes away", async () => {
  // 127.0.0.2 and 127.0.0.3 are two callers; the limit is 3 per address.
  const first = connectH2(limited, "127.0.0.2");
  const other = connectH2(limited, "127.0.0.3");
  try {
    for (let i = 0; i < 3; i++) await startedH2Watch(first, healthWatch);
    const over = await openH2Watch(first, healthWatch);
    rows.push({ case: "limited: 4th health watch from one address", expected: "RESOURCE_EXHAUSTED (8)", observed: over.started ? "started" : `${over.status}: ${over.message}` });
    assert.ok(!over.started, "the 4th watch from one address is refused");
    assert.equal(over.status, 8);
    assert.match(over.message, /too many open watch streams from 127\.0\.0\.2: at most 3 per address \(SERVICE_MAX_WATCHES_PER_ADDRESS\)/);
    await startedH2Watch(other, healthWatch); // another address is not affected

    first.session.destroy(); // without RST_STREAM
    const again = connectH2(limited, "127.0.0.2");
    try {
      const ms = await startWithin(3, () => openH2Watch(again, healthWatch), "watches after the connection holding the slots went away");
      rows.push({ case: "limited: 3 watches, same address, after its session was destroyed", expected: "all start", observed: `started after ${ms} ms` });
    } finally {
      again.session.destroy();
    }
  } finally {
    first.session.destroy();
    other.session.destroy();
  }
});

test("authenticated watches over SERVICE_MAX_WATCHES_PER_CLIENT get RESOURCE_EXHAUSTED from any address; public ones do not count", async () => {
  // The limit is 2 per client: the assistant's token, from two addresses.
  const first = connectH2(limited, "127.0.0.4");
  const second = connectH2(limited, "127.0.0.5");
  try {
    await startedH2Watch(first, notesWatch, token);
    await startedH2Watch(first, notesWatch, token);
    const over = await openH2Watch(second, notesWatch, token);
    rows.push({ case: "limited: 3rd WatchNotes of one client, other address", expected: "RESOURCE_EXHAUSTED (8)", observed: over.started ? "started" : `${over.status}: ${over.message}` });
    assert.ok(!over.started, "the client's 3rd watch is refused");
    assert.equal(over.status, 8);
    assert.match(over.message, /too many open watch streams for client "assistant": at most 2 per client \(SERVICE_MAX_WATCHES_PER_CLIENT\)/);
    await startedH2Watch(second, healthWatch); // public: counted per address only

    first.session.destroy(); // without RST_STREAM
    const ms = await startWithin(2, () => openH2Watch(second, notesWatch, token), "a client's watches after its other connection went away");
    rows.push({ case: "limited: 2 WatchNotes, same client, after its other session was destroyed", expected: "all start", observed: `started after ${ms} ms` });
  } finally {
    first.session.destroy();
    second.session.destroy();
  }
});

test("the watch limits are settings, range-checked at start-up", () => {
  const identity = { name: "notes", envPrefix: "NOTES", defaultPort: 3012, defaultAudience: "note-service" };
  const defaults = loadServiceConfig({}, identity);
  assert.equal(defaults.watchLimitPerAddress, 100);
  assert.equal(defaults.watchLimitPerClient, 100);
  for (const name of ["SERVICE_MAX_WATCHES_PER_ADDRESS", "SERVICE_MAX_WATCHES_PER_CLIENT"]) {
    for (const bad of ["0", "-1", "many", "100001"]) {
      assert.throws(
        () => loadServiceConfig({ [name]: bad }, identity),
        (err) => err instanceof ConfigError && err.setting === name,
        `${name}=${bad} is refused`,
      );
    }
  }
});
