/**
 * Hostile connections against a real service process, in cleartext and over
 * TLS: unfinished request headers (sent at once or trickled), a connection that
 * sends nothing, only the HTTP/2 preface, idle HTTP/1.1 keep-alive and idle
 * HTTP/2 sessions, oversized unfinished headers, floods of connections from one
 * address and from several, and a client that opens more HTTP/2 streams than
 * the server allows. Each must end within a bounded time or be refused, while
 * open watch streams are never cut. The limits are set low through the
 * SERVICE_* variables so that every case takes a few seconds; raw `net`/`tls`
 * sockets and hand-made HTTP/2 frames play the attacker, on loopback only.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import { after, before, describe, test } from "node:test";
import { ConfigError } from "../common/env.js";
import { loadConnectionLimits } from "../service-runtime/connection-limits.js";
import { runCommand } from "./support/commands.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { serviceEnv } from "./support/system.js";

// Short limits for the "timeouts" process; bounds below leave generous slack on a loaded machine.
const headersTimeoutMs = 1_000;
const keepAliveTimeoutMs = 1_000;
const http2IdleTimeoutMs = 1_500;
const maxStreams = 5;
const slackMs = 3_000;
// The "caps" process: small caps, default (15 s) timeouts so that held connections stay held.
const maxConnections = 6;
const maxPerAddress = 4;

const dir = tempDataDir();
let certPem = "";

/** A self-signed certificate for 127.0.0.1, also used by the clients as their trust anchor. */
async function makeCertificate(): Promise<{ certFile: string; keyFile: string }> {
  const file = (name: string) => join(dir.path, name);
  writeFileSync(file("cert.cnf"), "[req]\nprompt = no\ndistinguished_name = dn\nx509_extensions = ext\n[dn]\nCN = m2m-grpc hostile test\n[ext]\nbasicConstraints = critical, CA:TRUE\nsubjectAltName = IP:127.0.0.1\n");
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-config", file("cert.cnf"), "-days", "1", "-keyout", file("key.pem"), "-out", file("cert.pem")];
  const result = await runCommand("openssl", args, { timeoutMs: 10_000 });
  assert.equal(result.code, 0, result.stderr);
  return { certFile: file("cert.pem"), keyFile: file("key.pem") };
}

type Mode = "cleartext" | "TLS";

/** A notes service alone (no auth provider: health and the transport need none). */
async function startNotes(mode: Mode, extra: Record<string, string>): Promise<RunningProcess> {
  const tlsEnv = mode === "TLS" ? { TLS_CERT_FILE: join(dir.path, "cert.pem"), TLS_KEY_FILE: join(dir.path, "key.pem") } : {};
  const data = join(dir.path, `${mode}-${Object.keys(extra).length}-${Date.now()}`);
  return startProcess("notes/main.js", { env: { ...serviceEnv("notes", data, "http://127.0.0.1:9/auth", "http://127.0.0.1:9"), ...tlsEnv, ...extra } });
}

interface RawOptions {
  alpn?: "http/1.1" | "h2";
  /** Cleartext only. */
  localAddress?: string;
}

/** A connected socket (for TLS, after the handshake), with everything it receives collected. */
async function connect(mode: Mode, port: number, options: RawOptions = {}): Promise<{ socket: net.Socket; received: () => Buffer; closed: Promise<number> }> {
  const startedAt = Date.now();
  const socket: net.Socket =
    mode === "TLS"
      ? tls.connect({ host: "127.0.0.1", port, ca: certPem, ALPNProtocols: [options.alpn ?? "http/1.1"] })
      : net.connect({ host: "127.0.0.1", port, localAddress: options.localAddress });
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {});
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - startedAt)));
  await new Promise<void>((resolve, reject) => {
    socket.once(mode === "TLS" ? "secureConnect" : "connect", () => resolve());
    socket.once("close", () => reject(new Error("closed before connecting")));
  });
  return { socket, received: () => Buffer.concat(chunks), closed };
}

/** Resolves true when `closed` settles within ms, false otherwise. */
async function closesWithin(closed: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([closed.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `text` one byte every `everyMs` until the socket closes (activity that an inactivity timer would count). */
function trickle(socket: net.Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]!);
  }, everyMs);
  socket.once("close", () => clearInterval(timer));
}

const checkRequest = 'POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

function http2Session(mode: Mode, port: number): http2.ClientHttp2Session {
  return mode === "TLS" ? http2.connect(`https://127.0.0.1:${port}`, { ca: certPem }) : http2.connect(`http://127.0.0.1:${port}`);
}

/** A unary health check over HTTP/2 (Connect, JSON); resolves with the status and body. */
async function healthCheck(mode: Mode, port: number): Promise<{ status: number; body: string }> {
  const session = http2Session(mode, port);
  try {
    return await new Promise((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/json" });
      let body = "";
      let status = 0;
      stream.on("response", (headers) => (status = Number(headers[":status"])));
      stream.on("data", (chunk: Buffer) => (body += chunk.toString()));
      stream.on("end", () => resolve({ status, body }));
      stream.on("error", reject);
      stream.end("{}");
    });
  } finally {
    session.close();
  }
}

/** An HTTP/2 frame: 9-byte header, then the payload. */
function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK header block of literal fields without indexing (RFC 7541 §6.2.2), every string shorter than 127 bytes. */
function headerBlock(fields: [string, string][]): Buffer {
  return Buffer.concat(fields.map(([name, value]) => Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)])));
}

/** Frames of type `type` in `data`, as [streamId, payload]. */
function framesOf(data: Buffer, type: number): [number, Buffer][] {
  const found: [number, Buffer][] = [];
  for (let at = 0; at + 9 <= data.length; ) {
    const length = data.readUIntBE(at, 3);
    if (data[at + 3] === type) found.push([data.readUInt32BE(at + 5) & 0x7fffffff, data.subarray(at + 9, at + 9 + length)]);
    at += 9 + length;
  }
  return found;
}

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

before(async () => {
  await makeCertificate();
  certPem = readFileSync(join(dir.path, "cert.pem"), "utf8");
});
after(() => dir.remove());

test("connection settings: defaults, the open-file bound, and out-of-range values naming the variable", () => {
  assert.deepEqual(loadConnectionLimits({}, 1_048_576), {
    headersTimeoutMs: 15_000,
    keepAliveTimeoutMs: 5_000,
    http2IdleTimeoutMs: 300_000,
    maxConnections: 4096,
    maxConnectionsPerAddress: 256,
    http2MaxConcurrentStreams: 100,
  });
  assert.equal(loadConnectionLimits({}, 256).maxConnections, 192, "64 descriptors kept for the rest of the process");
  assert.equal(loadConnectionLimits({ SERVICE_MAX_CONNECTIONS: "10000" }, 256).maxConnections, 10_000, "an explicit value wins");
  for (const [name, value] of [["SERVICE_HEADERS_TIMEOUT_MS", "0"], ["SERVICE_HTTP2_MAX_CONCURRENT_STREAMS", "0"], ["SERVICE_MAX_CONNECTIONS_PER_ADDRESS", "ten"], ["SERVICE_KEEP_ALIVE_TIMEOUT_MS", "-5"]] as const) {
    assert.throws(() => loadConnectionLimits({ [name]: value }), (err: unknown) => err instanceof ConfigError && err.setting === name);
  }
});

for (const mode of ["cleartext", "TLS"] as const) {
  describe(`${mode}: hostile connections`, () => {
    let short: RunningProcess;
    let capped: RunningProcess;
    before(async () => {
      [short, capped] = await Promise.all([
        startNotes(mode, {
          SERVICE_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
          SERVICE_KEEP_ALIVE_TIMEOUT_MS: String(keepAliveTimeoutMs),
          SERVICE_HTTP2_IDLE_TIMEOUT_MS: String(http2IdleTimeoutMs),
          SERVICE_HTTP2_MAX_CONCURRENT_STREAMS: String(maxStreams),
        }),
        startNotes(mode, { SERVICE_MAX_CONNECTIONS: String(maxConnections), SERVICE_MAX_CONNECTIONS_PER_ADDRESS: String(maxPerAddress) }),
      ]);
    });
    after(async () => {
      await Promise.all([short?.stop(), capped?.stop()]);
    });

    test("unfinished HTTP/1.1 request headers, trickled byte by byte: 408, then closed", async () => {
      const c = await connect(mode, short.port);
      c.socket.write("POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      trickle(c.socket, "a".repeat(1000), 200);
      assert.ok(await closesWithin(c.closed, headersTimeoutMs + slackMs), "still open");
      assert.match(c.received().toString(), /^HTTP\/1\.1 408 /);
    });

    test("a next request trickled on a kept-alive HTTP/1.1 connection: 408, then closed", async () => {
      const c = await connect(mode, short.port);
      c.socket.write(checkRequest);
      await until(() => c.received().toString().includes("SERVING"), 5_000);
      const served = c.received().length;
      trickle(c.socket, "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(1000), 200);
      assert.ok(await closesWithin(c.closed, headersTimeoutMs + slackMs), "still open");
      assert.match(c.received().subarray(served).toString(), /^HTTP\/1\.1 408 /);
    });

    test("an idle HTTP/1.1 keep-alive connection is closed", async () => {
      const c = await connect(mode, short.port);
      c.socket.write(checkRequest);
      await until(() => c.received().toString().includes("SERVING"), 5_000);
      assert.ok(await closesWithin(c.closed, keepAliveTimeoutMs + slackMs), "still open");
    });

    test("a connection that sends nothing is closed", async () => {
      const c = await connect(mode, short.port, { alpn: "h2" });
      assert.ok(await closesWithin(c.closed, headersTimeoutMs + slackMs), "still open");
    });

    test("only the HTTP/2 preface, no SETTINGS: closed", async () => {
      const c = await connect(mode, short.port, { alpn: "h2" });
      c.socket.write(preface);
      assert.ok(await closesWithin(c.closed, headersTimeoutMs + slackMs), "still open");
    });

    test("an idle HTTP/2 session (after a call) gets GOAWAY NO_ERROR, then is closed", async () => {
      const session = http2Session(mode, short.port);
      session.on("error", () => {});
      const goaway = new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code)));
      const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
      await new Promise<void>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/json" });
        stream.on("error", reject);
        stream.resume();
        stream.on("end", () => resolve());
        stream.end("{}");
      });
      assert.ok(await closesWithin(goaway, http2IdleTimeoutMs + slackMs), "no GOAWAY");
      assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
      assert.ok(await closesWithin(closed, slackMs), "session still open after GOAWAY");
      session.destroy();
    });

    test("a request header block over 64 KiB, even unfinished, is refused at once (431); 32 kB still reaches the service", async () => {
      const c = await connect(mode, short.port);
      c.socket.write(`POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100 * 1024)}`);
      assert.ok(await closesWithin(c.closed, slackMs), "still open");
      assert.match(c.received().toString(), /^HTTP\/1\.1 431 /);
      const ok = await connect(mode, short.port);
      ok.socket.write(checkRequest.replace("Host: x\r\n", `Host: x\r\nX-Big: ${"a".repeat(32 * 1024)}\r\n`));
      await until(() => ok.received().toString().includes("SERVING"), 5_000);
      ok.socket.destroy();
    });

    test("HTTP/2 advertises the header list limit and refuses a larger header block", async () => {
      const session = http2Session(mode, short.port);
      session.on("error", () => {});
      await new Promise((resolve) => session.once("remoteSettings", resolve));
      assert.equal(session.remoteSettings.maxHeaderListSize, 64 * 1024);
      const outcome = await new Promise<string>((resolve) => {
        const stream = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/json", "x-big": "a".repeat(100 * 1024) });
        stream.on("response", (headers) => resolve(`status ${headers[":status"]}`));
        stream.on("error", (err: Error) => resolve(`error ${err.message}`));
        stream.on("close", () => resolve(`closed ${stream.rstCode}`));
        stream.end("{}");
      });
      session.destroy();
      assert.doesNotMatch(outcome, /^status 200/);
    });

    test("HTTP/2 advertises MAX_CONCURRENT_STREAMS, and a client that ignores it gets no more streams served", async () => {
      const session = http2Session(mode, short.port);
      session.on("error", () => {});
      await new Promise((resolve) => session.once("remoteSettings", resolve));
      assert.equal(session.remoteSettings.maxConcurrentStreams, maxStreams);
      session.destroy();

      // By hand: preface, SETTINGS, the ACK of the server's SETTINGS, then twice the limit of health watches at once.
      const c = await connect(mode, short.port, { alpn: "h2" });
      c.socket.write(Buffer.concat([preface, frame(4, 0, 0)]));
      await until(() => framesOf(c.received(), 4).length > 0, 5_000);
      c.socket.write(frame(4, 1, 0));
      await sleep(100);
      const fields: [string, string][] = [[":method", "POST"], [":scheme", mode === "TLS" ? "https" : "http"], [":path", "/grpc.health.v1.Health/Watch"], [":authority", "127.0.0.1"], ["content-type", "application/grpc"], ["te", "trailers"]];
      const streams = Array.from({ length: 2 * maxStreams }, (_, i) => 2 * i + 1);
      c.socket.write(Buffer.concat(streams.flatMap((id) => [frame(1, 4, id, headerBlock(fields)), frame(0, 1, id, Buffer.alloc(5))])));
      // The extra streams are reset, or (nghttp2, once the limit is acknowledged) the whole connection is.
      const dropped = await closesWithin(c.closed, 1_500);
      const answered = new Set(framesOf(c.received(), 1).map(([id]) => id));
      const refused = framesOf(c.received(), 3).length + framesOf(c.received(), 7).length;
      c.socket.destroy();
      assert.ok(answered.size <= maxStreams, `${answered.size} streams served`);
      assert.ok(refused > 0 || dropped, "the extra streams were neither refused nor the connection closed");
    });

    test("open watch streams are not idle: neither HTTP/2 nor HTTP/1.1 cuts them", async () => {
      const session = http2Session(mode, short.port);
      session.on("error", () => {});
      let goaway = false;
      session.on("goaway", () => (goaway = true));
      const h2Watch = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Watch", "content-type": "application/grpc", te: "trailers" });
      h2Watch.on("error", () => {});
      let h2Bytes = 0;
      h2Watch.on("data", (chunk: Buffer) => (h2Bytes += chunk.length));
      h2Watch.end(Buffer.alloc(5));
      const h1 = await connect(mode, short.port);
      const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from("{}")]);
      h1.socket.write(`POST /grpc.health.v1.Health/Watch HTTP/1.1\r\nHost: x\r\nContent-Type: application/connect+json\r\nContent-Length: ${envelope.length}\r\n\r\n`);
      h1.socket.write(envelope);
      await sleep(Math.max(headersTimeoutMs, keepAliveTimeoutMs, http2IdleTimeoutMs) + 2_000);
      assert.ok(h2Bytes > 0 && !h2Watch.closed && !goaway, "the HTTP/2 watch was cut");
      assert.ok(!h1.socket.destroyed && /^HTTP\/1\.1 200 /.test(h1.received().toString()), "the HTTP/1.1 watch was cut");
      h1.socket.destroy();
      session.destroy();
    });

    test("connections over the per-address cap, then over the process cap, are closed at once and logged once", async () => {
      const held: net.Socket[] = [];
      const open = async (localAddress: string) => {
        const socket = net.connect({ host: "127.0.0.1", port: capped.port, localAddress });
        socket.on("error", () => {});
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
        held.push(socket);
        return { closed };
      };
      try {
        for (let i = 0; i < maxPerAddress; i++) await open("127.0.0.1");
        await sleep(200);
        assert.ok(await closesWithin((await open("127.0.0.1")).closed, slackMs), "a connection over the per-address cap was kept");
        for (let i = 0; i < maxConnections - maxPerAddress; i++) await open("127.0.0.2");
        await sleep(200);
        const refusedFlood = await Promise.all(Array.from({ length: 10 }, () => open("127.0.0.3")));
        assert.ok(await closesWithin(Promise.all(refusedFlood.map((r) => r.closed)), slackMs), "a connection over the process cap was kept");
        await sleep(200);
        assert.equal(held.filter((s) => !s.destroyed).length, maxConnections, "the admitted connections stay open");
        const lines = capped.logs().filter((l) => String(l["msg"]).startsWith("refusing connections"));
        assert.ok(lines.length >= 1 && lines.length <= 2, `${lines.length} log lines for 11 refusals`);
      } finally {
        for (const socket of held) socket.destroy();
      }
      await sleep(200);
      const health = await healthCheck(mode, capped.port);
      assert.equal(health.status, 200);
      assert.match(health.body, /SERVING/);
    });

    test("the services stay healthy after all of it", async () => {
      for (const p of [short, capped]) assert.match((await healthCheck(mode, p.port)).body, /SERVING/);
    });
  });
}
