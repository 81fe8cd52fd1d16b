/**
 * The unary fast path (service-runtime/unary-fast-path.ts) against
 * connect-node's adapter: the notes service runs twice on one data directory,
 * SERVICE_UNARY_FAST_PATH=1 (the default) and =0 (everything through the
 * adapter), and every case is sent to both. Each observation (status, message,
 * response headers and trailers, grpc-status-details-bin, body bytes) must be
 * identical on the two, and what a user expects. The clients: a raw
 * `node:http2` client (exact headers, trailers and bytes; only `date` is
 * ignored), connect's
 * gRPC transport, the grpc-js client, `buf curl --protocol grpc` and, when its
 * tools are installed, the generated Python client; raw Connect requests
 * (status, headers, JSON error bodies). Calls the fast path does not take
 * (gRPC-Web, Connect GET, application/grpc+json, streaming) must still work
 * with it on. A summary table is printed.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { create, fromBinary, toBinary, toJson, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, encodeBinaryHeader, type CallOptions } from "@connectrpc/connect";
import { compressionGzip, createGrpcTransport } from "@connectrpc/connect-node";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import * as grpc from "@grpc/grpc-js";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { AuthErrorSchema } from "../gen/m2m/auth/v1/auth_pb.js";
import { ListNotesRequestSchema, ListNotesResponseSchema, NoteService, ChangeType } from "../gen/m2m/notes/v1/notes_pb.js";
import { assertAuthRefusal } from "./support/assertions.js";
import { startBadTokenFixtures, type BadTokenFixtures } from "./support/bad-token-fixtures.js";
import { badTokenCases, type Authorization } from "./support/bad-token-cases.js";
import { bufBinary, runCommand } from "./support/commands.js";
import { connectErrorOf, definitionOf } from "./support/grpc-js-services.js";
import { appendingHttp2Connection, hpackLiteral } from "./support/http2-extra-fields.js";
import { startProcess, type RunningProcess } from "./support/processes.js";
import { generatePythonStubs, missingPythonTools, runPythonClient } from "./support/python-client.js";
import { printSummary } from "./support/summary-table.js";
import { bearer, serviceEnv, startSystem, transportFor, type TestSystem } from "./support/system.js";

const pythonMissing = await missingPythonTools();
if (pythonMissing && process.env["CI"]) throw new Error(`CI must run the Python client against the fast path: ${pythonMissing}`);

let system: TestSystem;
/** The notes service with SERVICE_UNARY_FAST_PATH=0, on the same data directory as system.notes (fast path on). */
let adapterNotes: RunningProcess;
let fixtures: BadTokenFixtures;

before(async () => {
  system = await startSystem({ serviceEnv: { notes: { SERVICE_UNARY_FAST_PATH: "1" } } });
  [adapterNotes, fixtures] = await Promise.all([
    startProcess("notes/main.js", { env: { ...serviceEnv("notes", system.dataDir, system.issuer, system.auth.url), SERVICE_UNARY_FAST_PATH: "0" } }),
    startBadTokenFixtures(system.issuer),
  ]);
  // Notes whose list is well over 1 KiB (compressed responses), the same for both services (one database).
  const notes = createClient(NoteService, transportFor("grpc", system.notes.url, [bearer(() => system.token("note-service", "note.read note.write"))]));
  for (let i = 0; i < 3; i++) await notes.createNote({ note: { title: `fast path ${i}`, description: `${i} `.repeat(400) } });
});
after(async () => {
  await adapterNotes?.stop();
  await system?.stop();
  await fixtures?.stop();
});

interface Target {
  name: "fast path" | "adapter";
  url: string;
  process: RunningProcess;
}
const targets = (): [Target, Target] => [
  { name: "fast path", url: system.notes.url, process: system.notes },
  { name: "adapter", url: adapterNotes.url, process: adapterNotes },
];

const summary: { case: string; expected: string; observed: string }[] = [];
after(() => printSummary("unary calls: fast path (SERVICE_UNARY_FAST_PATH=1) vs the adapter (=0)", summary));

/**
 * Runs `observe` against the fast path and the adapter (in turn, nothing else runs in between), records a row,
 * asserts that both observed the same, then checks the fast path's observation with `expect`.
 */
async function same<T>(name: string, expected: string, observe: (target: Target) => Promise<T>, expect: (observed: T) => void = () => {}): Promise<T> {
  const [fast, adapter] = targets();
  const onFast = await observe(fast);
  const onAdapter = await observe(adapter);
  let identical = true;
  try {
    assert.deepEqual(onFast, onAdapter);
  } catch {
    identical = false;
  }
  summary.push({ case: name, expected: `identical; ${expected}`, observed: identical ? "identical" : `DIFFERS: fast ${brief(onFast)} / adapter ${brief(onAdapter)}` });
  assert.deepEqual(onFast, onAdapter, `${name}: the fast path and the adapter answer differently`);
  expect(onFast);
  return onFast;
}

function brief(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)) ?? "undefined";
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

// ---------------------------------------------------------------------------------------------------------------
// A raw HTTP/2 client: the exact response headers, trailers and bytes.

interface RawAnswer {
  /** Response headers without `date`. */
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  body: Buffer;
}

interface RawRequest {
  path?: string;
  headers?: http2.OutgoingHttpHeaders;
  body?: Buffer;
  /** Connection for the session (e.g. one that appends header fields). */
  createConnection?: (url: URL) => net.Socket | import("node:stream").Duplex;
}

const notesPath = (method: string) => `/m2m.notes.v1.NoteService/${method}`;

async function rawCall(target: Target, request: RawRequest): Promise<RawAnswer> {
  const url = new URL(target.url);
  const session = http2.connect(url, request.createConnection ? { createConnection: () => request.createConnection!(url) as net.Socket } : {});
  session.on("error", () => {});
  try {
    return await new Promise<RawAnswer>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": request.path ?? notesPath("ListNotes"), "content-type": "application/grpc", te: "trailers", ...request.headers });
      let headers: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      req.on("response", (h) => {
        const { date: _date, ...rest } = h;
        headers = rest;
      });
      // The answer is complete at the end of the response (after its trailers, if any). (The adapter stops reading
      // a request it refused as too large, so that stream stays open while the client still has bytes to send: its
      // close is not waited for.)
      let trailers: Record<string, unknown> = {};
      req.on("trailers", (t) => (trailers = { ...t }));
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => resolve({ headers, trailers, body: Buffer.concat(chunks) }));
      req.on("error", () => {});
      req.on("close", () => resolve({ headers, trailers, body: Buffer.concat(chunks) }));
      setTimeout(() => reject(new Error(`${target.name}: no answer within 20 s`)), 20_000).unref();
      req.end(request.body ?? Buffer.alloc(0));
    });
  } finally {
    session.destroy();
  }
}

function envelope(payload: Uint8Array | number[], flags = 0, length = payload.length): Buffer {
  const bytes = Buffer.alloc(5 + payload.length);
  bytes[0] = flags;
  bytes.writeUInt32BE(length, 1);
  Buffer.from(payload).copy(bytes, 5);
  return bytes;
}

const listRequest = () => toBinary(ListNotesRequestSchema, create(ListNotesRequestSchema, { pageSize: 100 }));
const readWrite = () => system.token("note-service", "note.read note.write");
const auth = async (token?: string) => ({ authorization: `Bearer ${token ?? (await readWrite())}` });

/** grpc-status, the decoded grpc-message and the AuthError detail, from trailers (or a trailers-only response). */
function statusOf(answer: RawAnswer): { status: string; message: string } {
  const fields = { ...answer.headers, ...answer.trailers };
  return { status: String(fields["grpc-status"]), message: decodeURIComponent(String(fields["grpc-message"] ?? "")) };
}

function errorOf(answer: RawAnswer): ConnectError | undefined {
  const fields = new Headers();
  for (const [name, value] of Object.entries({ ...answer.headers, ...answer.trailers })) if (!name.startsWith(":")) fields.set(name, String(value));
  return findTrailerError(fields);
}

const expectStatus = (status: number, message?: RegExp) => (answer: RawAnswer) => {
  const observed = statusOf(answer);
  assert.equal(observed.status, String(status), `grpc-status (message: ${observed.message})`);
  if (message) assert.match(observed.message, message);
};

describe("raw gRPC over HTTP/2: headers, trailers and bytes", () => {
  test("success: headers, trailers and body", async () => {
    const answer = await same("unary success", "200, application/grpc+proto, grpc-status 0", async (t) => rawCall(t, { headers: await auth(), body: envelope(listRequest()) }), (a) => {
      assert.equal(a.headers[":status"], 200);
      assert.equal(a.headers["content-type"], "application/grpc+proto");
      assert.equal(a.trailers["grpc-status"], "0");
      assert.equal(a.body[0], 0, "not compressed");
    });
    assert.ok(answer.body.byteLength > 1024, "the response is over 1 KiB");
    assert.equal(fromBinary(ListNotesResponseSchema, answer.body.subarray(5)).notes.length >= 3, true);
  });

  test("grpc-accept-encoding: gzip on a response over 1 KiB: compressed, and it decodes", async () => {
    const plain = await rawCall(targets()[0], { headers: await auth(), body: envelope(listRequest()) });
    const answer = await same("response compression (gzip)", "grpc-encoding gzip, compressed flag, decodes", async (t) =>
      rawCall(t, { headers: { ...(await auth()), "grpc-accept-encoding": "gzip" }, body: envelope(listRequest()) }),
    );
    assert.equal(answer.headers["grpc-encoding"], "gzip");
    assert.equal(answer.body[0], 1, "the compressed flag");
    assert.deepEqual(gunzipSync(answer.body.subarray(5)), plain.body.subarray(5));
  });

  test("a gzip-compressed request (grpc-encoding: gzip)", async () => {
    await same("request compression (gzip)", "grpc-status 0", async (t) =>
      rawCall(t, { headers: { ...(await auth()), "grpc-encoding": "gzip" }, body: envelope(gzipSync(listRequest()), 1) }),
      expectStatus(0),
    );
  });

  test("an unknown grpc-encoding: UNIMPLEMENTED, listing the accepted encodings", async () => {
    await same("grpc-encoding: snappy", "UNIMPLEMENTED, grpc-accept-encoding gzip, br", async (t) =>
      rawCall(t, { headers: { ...(await auth()), "grpc-encoding": "snappy" }, body: envelope(listRequest(), 1) }),
      (a) => {
        expectStatus(Code.Unimplemented, /snappy/)(a);
        assert.match(String(a.trailers["grpc-accept-encoding"]), /gzip/);
      },
    );
  });

  test("grpc-timeout: malformed, zero, and present on every call", async () => {
    await same("grpc-timeout: 1 fortnight", "INVALID_ARGUMENT", async (t) => rawCall(t, { headers: { ...(await auth()), "grpc-timeout": "1 fortnight" }, body: envelope(listRequest()) }), expectStatus(Code.InvalidArgument, /invalid grpc timeout value/));
    await same("grpc-timeout: 123456789S (9 digits)", "INVALID_ARGUMENT", async (t) => rawCall(t, { headers: { ...(await auth()), "grpc-timeout": "123456789S" }, body: envelope(listRequest()) }), expectStatus(Code.InvalidArgument));
    // A deadline already passed when the call starts: no timer involved, so the answer is deterministic.
    await same("grpc-timeout: 0n", "the same answer", async (t) => statusOf(await rawCall(t, { headers: { ...(await auth()), "grpc-timeout": "0n" }, body: envelope(listRequest()) })));
    await same("grpc-timeout: 10S", "grpc-status 0", async (t) => rawCall(t, { headers: { ...(await auth()), "grpc-timeout": "10S" }, body: envelope(listRequest()) }), expectStatus(0));
  });

  test("malformed frames", async (t) => {
    const token = await auth();
    const cases: [string, Buffer, Code, RegExp][] = [
      ["empty body", Buffer.alloc(0), Code.Unimplemented, /missing input message/],
      ["3-byte body", Buffer.from([0, 0, 0]), Code.InvalidArgument, /incomplete envelope/],
      ["length prefix larger than the body", envelope([0x08, 0x01], 0, 10), Code.InvalidArgument, /incomplete envelope/],
      ["two messages for a unary method", Buffer.concat([envelope(listRequest()), envelope(listRequest())]), Code.Unimplemented, /extra input message/],
      ["compressed flag without grpc-encoding", envelope(gzipSync(listRequest()), 1), Code.Internal, /compressed/],
      ["garbage protobuf bytes", envelope([0xff, 0xff, 0xff, 0x07]), Code.InvalidArgument, /./],
      ["a length prefix of 5 MB on a short body", envelope([0x08, 0x01], 0, 5 * 1024 * 1024), Code.ResourceExhausted, /larger than configured readMaxBytes/],
    ];
    for (const [name, body, code, message] of cases) {
      await t.test(name, async () => void (await same(`malformed: ${name}`, Code[code], (t) => rawCall(t, { headers: token, body }), (a) => {
        expectStatus(code, message)(a);
        assert.equal(a.body.byteLength, 0, "no message");
      })));
    }
  });

  test("a 5 MB message: RESOURCE_EXHAUSTED with the same message", async () => {
    const body = envelope(Buffer.alloc(5 * 1024 * 1024, 0x41));
    await same("5 MB message (raw)", "RESOURCE_EXHAUSTED", async (t) => statusOf(await rawCall(t, { path: notesPath("CreateNote"), headers: await auth(), body })), (s) =>
      assert.equal(s.status, String(Code.ResourceExhausted)),
    );
  });

  test("a refusal: grpc-status-details-bin and www-authenticate", async () => {
    const cases: [string, () => Promise<http2.OutgoingHttpHeaders>, Code][] = [
      ["no token", async () => ({}), Code.Unauthenticated],
      ["missing scope", async () => auth(await system.token("note-service", "note.read")), Code.PermissionDenied],
      ["wrong audience", async () => auth(await system.token("calendar-service", "calendar.read")), Code.Unauthenticated],
    ];
    for (const [name, headers, code] of cases) {
      const path = notesPath(name === "missing scope" ? "CreateNote" : "ListNotes");
      const answer = await same(`refusal (raw): ${name}`, `${Code[code]} with the same detail bytes`, async (t) => rawCall(t, { path, headers: await headers(), body: envelope([]) }), expectStatus(code));
      assert.ok(answer.trailers["grpc-status-details-bin"], "grpc-status-details-bin");
      assert.match(String(answer.trailers["www-authenticate"]), /^Bearer realm="note-service"/);
      assert.equal(errorOf(answer)?.findDetails(AuthErrorSchema).length, 1, "an AuthError detail");
    }
  });

  test("binary metadata (-bin) and several authorization fields", async () => {
    const bin = Buffer.from([0, 1, 2, 0xfe, 0xff, 10, 13]).toString("base64");
    await same("binary request metadata", "grpc-status 0", async (t) =>
      rawCall(t, { headers: { ...(await auth()), "x-probe-bin": bin, "grpc-trace-bin": bin }, body: envelope(listRequest()) }),
      expectStatus(0),
    );
    const twoFields = (url: URL) => appendingHttp2Connection(net.connect(Number(url.port), url.hostname), hpackLiteral("authorization", "Bearer junk"));
    await same("two authorization fields", "UNAUTHENTICATED, more than one authorization value", async (t) =>
      rawCall(t, { headers: await auth(), body: envelope(listRequest()), createConnection: twoFields }),
      expectStatus(Code.Unauthenticated, /more than one authorization value/),
    );
  });

  test("application/grpc+json still works with the fast path on (the adapter answers it)", async () => {
    await same("application/grpc+json", "grpc-status 0, JSON", async (t) =>
      rawCall(t, { headers: { ...(await auth()), "content-type": "application/grpc+json" }, body: envelope(Buffer.from('{"pageSize":100}')) }),
      (a) => {
        expectStatus(0)(a);
        assert.equal(a.headers["content-type"], "application/grpc+json");
        assert.ok(Array.isArray((JSON.parse(a.body.subarray(5).toString()) as { notes: unknown[] }).notes));
      },
    );
  });

  test("a client that resets its stream mid-call: no crash, nothing logged as a server error, healthy afterwards", async () => {
    const observe = async (t: Target) => {
      const callLines = () => t.process.logs().filter((l) => l["msg"] === "call").length;
      const before = callLines();
      const session = http2.connect(t.url);
      session.on("error", () => {});
      const req = session.request({ ":method": "POST", ":path": notesPath("ListNotes"), "content-type": "application/grpc", te: "trailers", ...(await auth()) });
      req.on("error", () => {});
      const closed = new Promise((resolve) => req.on("close", resolve));
      req.write(envelope(listRequest()).subarray(0, 3)); // part of a message, and no end of stream
      await new Promise((resolve) => setTimeout(resolve, 100));
      req.close(http2.constants.NGHTTP2_CANCEL);
      await closed;
      session.close();
      const health = await createClient(Health, transportFor("grpc", t.url)).check({});
      // The call never reached the interceptors (its message never came), so no call line; a later call logs.
      await createClient(NoteService, transportFor("grpc", t.url, [bearer(readWrite)])).listNotes({});
      const ok = t.process.logs().filter((l) => l["msg"] === "call").slice(before);
      return {
        alive: t.process.child.exitCode === null,
        health: HealthCheckResponse_ServingStatus[health.status],
        callLines: ok.map((l) => `${String(l["method"])} ${String(l["code"])}`),
        serverErrors: t.process.output.filter((l) => l.includes('"code":"Internal"') || l.includes('"code":"Unknown"')).length,
      };
    };
    await same("client RST_STREAM mid-call", "alive, SERVING, no server error", observe, (o) => {
      assert.equal(o.alive, true);
      assert.equal(o.health, "SERVING");
      assert.equal(o.serverErrors, 0);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Connect's gRPC transport.

interface ConnectObservation {
  code: string;
  message?: string;
  details?: unknown[];
  metadata?: [string, string][];
  response?: unknown;
  header?: [string, string][];
  trailer?: [string, string][];
}

const withoutDate = (headers: Headers): [string, string][] => [...headers].filter(([name]) => name !== "date");

async function observeConnect<O extends DescMessage>(output: O, call: (options: CallOptions) => Promise<unknown>): Promise<ConnectObservation> {
  let header = new Headers();
  let trailer = new Headers();
  try {
    const response = await call({ onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t), timeoutMs: 20_000 });
    return { code: "OK", response: toJson(output, response as never), header: withoutDate(header), trailer: withoutDate(trailer) };
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: Code[e.code], message: e.rawMessage, details: e.findDetails(AuthErrorSchema).map((d) => toJson(AuthErrorSchema, d)), metadata: withoutDate(e.metadata) };
  }
}

const connectNotes = (t: Target, options: { auth?: boolean; scope?: string; gzip?: boolean } = {}) =>
  createClient(
    NoteService,
    options.gzip
      ? createGrpcTransport({ baseUrl: t.url, sendCompression: compressionGzip, compressMinBytes: 1, interceptors: [bearer(readWrite)] })
      : transportFor("grpc", t.url, options.auth === false ? [] : [bearer(() => system.token("note-service", options.scope ?? "note.read note.write"))]),
  );

// ---------------------------------------------------------------------------------------------------------------
// The Connect protocol (unary POST of application/proto or application/json), raw: status, headers, error bodies.

const connectHeaders = (contentType = "application/proto") => ({ "content-type": contentType, "connect-protocol-version": "1", te: undefined });
const jsonRequest = () => Buffer.from(JSON.stringify(toJson(ListNotesRequestSchema, create(ListNotesRequestSchema, { pageSize: 100 }))));

/** The HTTP status and the Connect error body's code and message (none on success). */
function connectErrorBody(answer: RawAnswer): { status: unknown; code?: string; message?: string } {
  if (answer.headers[":status"] === 200) return { status: 200 };
  const error = JSON.parse(answer.body.toString()) as { code: string; message?: string };
  return { status: answer.headers[":status"], code: error.code, message: error.message };
}

const expectConnectError = (status: number, code: string, message?: RegExp) => (answer: RawAnswer) => {
  const observed = connectErrorBody(answer);
  assert.equal(observed.status, status, `HTTP status (${JSON.stringify(observed)})`);
  assert.equal(observed.code, code);
  assert.equal(answer.headers["content-type"], "application/json");
  if (message) assert.match(observed.message ?? "", message);
};

describe("raw Connect over HTTP/2: status, headers and bytes", () => {
  test("success, binary and JSON: headers, content-length and body", async () => {
    for (const [name, contentType, body] of [["application/proto", "application/proto", listRequest()], ["application/json", "application/json", jsonRequest()]] as const) {
      await same(`Connect ${name}: success`, `200, ${contentType}, content-length`, async (t) => rawCall(t, { headers: { ...connectHeaders(contentType), ...(await auth()) }, body: Buffer.from(body) }), (a) => {
        assert.equal(a.headers[":status"], 200);
        assert.equal(a.headers["content-type"], contentType);
        assert.equal(a.headers["content-length"], String(a.body.byteLength));
      });
    }
  });

  test("accept-encoding: gzip on a response over 1 KiB, and a gzip request", async () => {
    const plain = await rawCall(targets()[0], { headers: { ...connectHeaders(), ...(await auth()) }, body: Buffer.from(listRequest()) });
    const answer = await same("Connect response compression (gzip)", "content-encoding gzip, decodes", async (t) =>
      rawCall(t, { headers: { ...connectHeaders(), ...(await auth()), "accept-encoding": "gzip" }, body: Buffer.from(listRequest()) }),
    );
    assert.equal(answer.headers["content-encoding"], "gzip");
    assert.deepEqual(gunzipSync(answer.body), plain.body);
    await same("Connect request compression (gzip)", "200", async (t) =>
      connectErrorBody(await rawCall(t, { headers: { ...connectHeaders(), ...(await auth()), "content-encoding": "gzip" }, body: gzipSync(listRequest()) })),
      (o) => assert.equal(o.status, 200),
    );
  });

  test("refusals and bad input: the HTTP status and the JSON error body", async (ctx) => {
    const token = await auth();
    const cases: [string, () => Promise<RawRequest>, number, string, RegExp?][] = [
      ["no token", async () => ({ headers: connectHeaders(), body: Buffer.from(listRequest()) }), 401, "unauthenticated", /no access token/],
      ["missing scope", async () => ({ path: notesPath("CreateNote"), headers: { ...connectHeaders(), ...(await auth(await system.token("note-service", "note.read"))) }, body: Buffer.alloc(0) }), 403, "permission_denied"],
      ["wrong audience", async () => ({ headers: { ...connectHeaders(), ...(await auth(await system.token("calendar-service", "calendar.read"))) }, body: Buffer.from(listRequest()) }), 401, "unauthenticated"],
      ["NOT_FOUND", async () => ({ path: notesPath("GetNote"), headers: { ...connectHeaders("application/json"), ...token }, body: Buffer.from('{"id":"no-such-note"}') }), 404, "not_found"],
      ["an unknown content-encoding", async () => ({ headers: { ...connectHeaders(), ...token, "content-encoding": "snappy" }, body: Buffer.from(listRequest()) }), 501, "unimplemented", /snappy/],
      ["connect-timeout-ms: soon", async () => ({ headers: { ...connectHeaders(), ...token, "connect-timeout-ms": "soon" }, body: Buffer.from(listRequest()) }), 400, "invalid_argument", /timeout/],
      ["JSON that does not parse", async () => ({ headers: { ...connectHeaders("application/json"), ...token }, body: Buffer.from("{not json") }), 400, "invalid_argument"],
      ["a 5 MB body", async () => ({ path: notesPath("CreateNote"), headers: { ...connectHeaders(), ...token }, body: Buffer.alloc(5 * 1024 * 1024, 0x41) }), 429, "resource_exhausted", /larger than configured readMaxBytes/],
      ["a 5 MB Content-Length", async () => ({ path: notesPath("CreateNote"), headers: { ...connectHeaders(), ...token, "content-length": String(5 * 1024 * 1024) }, body: Buffer.alloc(5 * 1024 * 1024, 0x41) }), 429, "resource_exhausted", /5242880 is larger/],
    ];
    for (const [name, request, status, code, message] of cases) {
      await ctx.test(name, async () => void (await same(`Connect: ${name}`, `${status} ${code}`, async (t) => rawCall(t, await request()), expectConnectError(status, code, message))));
    }
    // Garbage protobuf bytes: whatever connect answers (its binary codec calls a parse failure INTERNAL), alike.
    await same("Connect: garbage protobuf bytes", "the same answer", async (t) => connectErrorBody(await rawCall(t, { headers: { ...connectHeaders(), ...token }, body: Buffer.from([0xff, 0xff, 0xff, 0x07]) })));
  });

  test("a refusal's headers: www-authenticate", async () => {
    const answer = await same("Connect refusal: www-authenticate", "401 with the challenge", async (t) => rawCall(t, { headers: connectHeaders(), body: Buffer.from(listRequest()) }), expectConnectError(401, "unauthenticated"));
    assert.match(String(answer.headers["www-authenticate"]), /^Bearer realm="note-service"/);
  });
});

describe("connect's gRPC transport", () => {
  test("success, with response headers and trailers; a gzip request and response", async () => {
    await same("connect: ListNotes", "OK, content-type and grpc-status 0", (t) => observeConnect(ListNotesResponseSchema, (o) => connectNotes(t).listNotes({ pageSize: 100 }, o)), (o) => {
      assert.equal(o.code, "OK");
      assert.deepEqual(o.header?.find(([n]) => n === "content-type"), ["content-type", "application/grpc+proto"]);
      assert.deepEqual(o.trailer?.find(([n]) => n === "grpc-status"), ["grpc-status", "0"]);
    });
    await same("connect: ListNotes, gzip both ways", "OK, grpc-encoding gzip", (t) => observeConnect(ListNotesResponseSchema, (o) => connectNotes(t, { gzip: true }).listNotes({ pageSize: 100 }, o)), (o) => {
      assert.equal(o.code, "OK");
      assert.deepEqual(o.header?.find(([n]) => n === "grpc-encoding"), ["grpc-encoding", "gzip"]);
    });
  });

  test("NOT_FOUND, INVALID_ARGUMENT, missing scope, wrong audience, oversized", async (ctx) => {
    const cases: [string, Code, (t: Target, o: CallOptions) => Promise<unknown>][] = [
      ["GetNote of a missing id", Code.NotFound, (t, o) => connectNotes(t).getNote({ id: "missing" }, o)],
      ["10 000-character id", Code.InvalidArgument, (t, o) => connectNotes(t).getNote({ id: "x".repeat(10_000) }, o)],
      ["200 kB description", Code.InvalidArgument, (t, o) => connectNotes(t).createNote({ note: { title: "big", description: "x".repeat(200_000) } }, o)],
      ["missing scope", Code.PermissionDenied, (t, o) => connectNotes(t, { scope: "note.read" }).createNote({ note: { title: "no" } }, o)],
      ["wrong audience", Code.Unauthenticated, async (t, o) => createClient(NoteService, transportFor("grpc", t.url)).listNotes({}, { ...o, headers: await auth(await system.token("calendar-service", "calendar.read")) })],
      ["5 MB message", Code.ResourceExhausted, (t, o) => connectNotes(t).createNote({ note: { title: "big", description: "x".repeat(5 * 1024 * 1024) } }, o)],
    ];
    for (const [name, code, call] of cases) {
      await ctx.test(name, async () => void (await same(`connect: ${name}`, Code[code], (t) => observeConnect(ListNotesResponseSchema, (o) => call(t, o)), (o) => assert.equal(o.code, Code[code], o.message))));
    }
  });

  test("binary metadata and grpc-timeout on every call", async () => {
    await same("connect: -bin metadata", "OK", (t) => observeConnect(ListNotesResponseSchema, (o) => connectNotes(t).listNotes({}, { ...o, headers: { "x-probe-bin": encodeBinaryHeader(new Uint8Array([0, 255, 1, 254])) } })), (o) =>
      assert.equal(o.code, "OK"),
    );
  });

  test("a 1 ms deadline: DEADLINE_EXCEEDED; a cancelled call: CANCELED; the service stays healthy", async () => {
    await same("connect: 1 ms deadline", "DeadlineExceeded", async (t) => (await observeConnect(ListNotesResponseSchema, (o) => connectNotes(t).listNotes({ pageSize: 1000 }, { ...o, timeoutMs: 1 }))).code, (c) =>
      assert.equal(c, "DeadlineExceeded"),
    );
    await same("connect: cancelled mid-call", "Canceled, then SERVING", async (t) => {
      const abort = new AbortController();
      const pending = observeConnect(ListNotesResponseSchema, (o) => connectNotes(t).listNotes({ pageSize: 1000 }, { ...o, signal: abort.signal }));
      abort.abort();
      const { code } = await pending;
      const health = await createClient(Health, transportFor("grpc", t.url)).check({});
      return { code, health: HealthCheckResponse_ServingStatus[health.status] };
    }, (o) => assert.deepEqual(o, { code: "Canceled", health: "SERVING" }));
  });
});

describe("the bad-token matrix over gRPC", () => {
  const { refused } = badTokenCases({
    system: () => system,
    name: "notes",
    audience: "note-service",
    otherAudience: "calendar-service",
    readScope: "note.read",
    writeScope: "note.write",
    otherIssuer: () => fixtures.otherIssuer(),
    lureUrl: () => fixtures.lureUrl(),
  });
  const headersOf = (authorization: Authorization): [string, string][] =>
    authorization === undefined ? [] : (typeof authorization === "string" ? [authorization] : authorization).map((value): [string, string] => ["authorization", value]);

  for (const c of refused) {
    test(`${c.name}: ${Code[c.code]}`, async () => {
      // One authorization value for both paths (some cases sign a fresh token on every call).
      const authorization = await c.authorization();
      // Several values in one field, as connect's client (a Headers) sends them; two fields: see "metadata" above.
      const values = headersOf(authorization);
      const request: RawRequest = { headers: values.length === 0 ? {} : { authorization: values.map(([, v]) => v).join(", ") }, body: envelope([]) };
      const answer = await same(`bad token: ${c.name}`, `${Code[c.code]} with its detail`, (t) => rawCall(t, request));
      const err = errorOf(answer);
      assert.ok(err, "an error in the trailers");
      assertAuthRefusal(err, c.code, c.reason, c.message, "note-service");
      // The same through connect's client, decoded.
      await same(`bad token (connect): ${c.name}`, Code[c.code], (t) =>
        observeConnect(ListNotesResponseSchema, (o) => createClient(NoteService, transportFor("grpc", t.url)).listNotes({}, { ...o, headers: values })),
      );
    });
  }
  test("the lure was never asked for anything", () => assert.equal(fixtures.lureRequests(), 0));
});

// ---------------------------------------------------------------------------------------------------------------
// grpc-js.

describe("the grpc-js client", () => {
  type GrpcJsClient = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;
  const clients = new Map<string, GrpcJsClient>();
  after(() => clients.forEach((c) => c.close()));
  const clientOf = (t: Target): GrpcJsClient => {
    let client = clients.get(t.url);
    if (!client) {
      client = new (grpc.makeGenericClientConstructor(definitionOf(NoteService), "NoteService"))(new URL(t.url).host, grpc.credentials.createInsecure()) as GrpcJsClient;
      clients.set(t.url, client);
    }
    return client;
  };
  const metadataOf = (fields: Record<string, string | Buffer>) => {
    const m = new grpc.Metadata();
    for (const [name, value] of Object.entries(fields)) m.set(name, value);
    return m;
  };
  /** A unary call; its answer as comparable data. */
  const call = (t: Target, method: "listNotes" | "getNote" | "createNote", request: object, fields: Record<string, string | Buffer>, deadlineMs = 20_000) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const schema = NoteService.method[method];
      const headerFields: [string, unknown][] = [];
      const c = clientOf(t)[method]!(create(schema.input, request), metadataOf(fields), { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, value: unknown) => {
        if (err) {
          const e = connectErrorOf(err);
          const metadata = Object.entries(err.metadata.getMap()).filter(([n]) => n !== "date");
          resolve({ code: grpc.status[err.code], details: err.details, authError: e.findDetails(AuthErrorSchema).map((d) => toJson(AuthErrorSchema, d)), metadata: metadata.map(([n, v]) => [n, String(v)]) });
        } else {
          resolve({ code: "OK", response: toJson(schema.output, value as never), header: headerFields });
        }
      });
      c.on("metadata", (m: grpc.Metadata) => headerFields.push(...Object.entries(m.getMap()).filter(([n]) => n !== "date")));
    });

  test("success, refusals, NOT_FOUND, INVALID_ARGUMENT, compression, deadlines, oversized, binary metadata", async (ctx) => {
    const token = `Bearer ${await readWrite()}`;
    const readOnly = `Bearer ${await system.token("note-service", "note.read")}`;
    const calendarToken = `Bearer ${await system.token("calendar-service", "calendar.read")}`;
    const cases: [string, string, (t: Target) => Promise<Record<string, unknown>>][] = [
      ["ListNotes", "OK", (t) => call(t, "listNotes", { pageSize: 100 }, { authorization: token })],
      ["ListNotes, grpc-accept-encoding gzip", "OK", (t) => call(t, "listNotes", { pageSize: 100 }, { authorization: token, "grpc-accept-encoding": "gzip" })],
      ["no token", "UNAUTHENTICATED", (t) => call(t, "listNotes", {}, {})],
      ["missing scope", "PERMISSION_DENIED", (t) => call(t, "createNote", { note: { title: "no" } }, { authorization: readOnly })],
      ["wrong audience", "UNAUTHENTICATED", (t) => call(t, "listNotes", {}, { authorization: calendarToken })],
      ["GetNote of a missing id", "NOT_FOUND", (t) => call(t, "getNote", { id: "missing" }, { authorization: token })],
      ["10 000-character id", "INVALID_ARGUMENT", (t) => call(t, "getNote", { id: "x".repeat(10_000) }, { authorization: token })],
      ["5 MB message", "RESOURCE_EXHAUSTED", (t) => call(t, "createNote", { note: { title: "big", description: "x".repeat(5 * 1024 * 1024) } }, { authorization: token })],
      ["1 ms deadline", "DEADLINE_EXCEEDED", async (t) => ({ code: (await call(t, "listNotes", { pageSize: 1000 }, { authorization: token }, 1))["code"] })],
      ["binary metadata", "OK", (t) => call(t, "listNotes", {}, { authorization: token, "x-probe-bin": Buffer.from([0, 255, 7]) })],
    ];
    for (const [name, expected, run] of cases) {
      await ctx.test(name, async () => void (await same(`grpc-js: ${name}`, expected, run, (o) => assert.equal(o["code"], expected, String(o["details"])))));
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// buf curl.

describe("buf curl --protocol grpc", () => {
  const curl = async (t: Target, method: string, body: string, authorization?: string) => {
    const args = ["curl", "--http2-prior-knowledge", "--protocol", "grpc", ...(authorization ? ["-H", `authorization: ${authorization}`] : []), "-d", body, `${t.url}${notesPath(method)}`];
    const result = await runCommand(bufBinary, args);
    // buf curl exits with 8 × the gRPC status code.
    return { exit: result.code, stdout: result.stdout, stderr: result.stderr };
  };
  test("success and errors", async (ctx) => {
    const token = `Bearer ${await readWrite()}`;
    const readOnly = `Bearer ${await system.token("note-service", "note.read")}`;
    const cases: [string, number, (t: Target) => Promise<{ exit: number; stdout: string; stderr: string }>][] = [
      ["ListNotes", 0, (t) => curl(t, "ListNotes", '{"pageSize":100}', token)],
      ["no token", 8 * Code.Unauthenticated, (t) => curl(t, "ListNotes", "{}")],
      ["missing scope", 8 * Code.PermissionDenied, (t) => curl(t, "CreateNote", '{"note":{"title":"x"}}', readOnly)],
      ["GetNote of a missing id", 8 * Code.NotFound, (t) => curl(t, "GetNote", '{"id":"missing"}', token)],
      ["an invalid page size", 8 * Code.InvalidArgument, (t) => curl(t, "ListNotes", '{"pageSize":-1}', token)],
    ];
    for (const [name, exit, run] of cases) await ctx.test(name, async () => void (await same(`buf curl: ${name}`, `exit ${exit}`, run, (o) => assert.equal(o.exit, exit, o.stdout + o.stderr))));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Fallbacks and the Python client.

describe("calls the fast path leaves to the adapter still work with it on", () => {
  for (const protocol of ["grpc-web", "connect"] as const) {
    test(`${protocol}: success and a refusal`, async () => {
      await same(`${protocol}: ListNotes`, "OK", (t) =>
        observeConnect(ListNotesResponseSchema, async (o) => {
          const response = await createClient(NoteService, transportFor(protocol, t.url, [bearer(readWrite)])).listNotes({ pageSize: 100 }, o);
          return response;
        }).then(({ header: _h, trailer: _t, ...rest }) => rest),
        (o) => assert.equal(o.code, "OK"),
      );
      await same(`${protocol}: no token`, "Unauthenticated", (t) => observeConnect(ListNotesResponseSchema, (o) => createClient(NoteService, transportFor(protocol, t.url)).listNotes({}, o)), (o) =>
        assert.equal(o.code, "Unauthenticated"),
      );
    });
  }

  test("a server-streaming call (WatchNotes) over gRPC", async () => {
    await same("grpc: WatchNotes first message", "WATCH_STARTED", async (t) => {
      const abort = new AbortController();
      const stream = connectNotes(t).watchNotes({}, { signal: abort.signal })[Symbol.asyncIterator]();
      const first = await stream.next();
      abort.abort();
      await stream.return?.().catch(() => undefined);
      return first.done ? "ended" : ChangeType[first.value.changeType];
    }, (o) => assert.equal(o, "WATCH_STARTED"));
  });

  test("the generated Python client (grpcio)", { skip: pythonMissing }, async () => {
    const out = mkdtempSync(join(tmpdir(), "m2m-grpc-python-"));
    try {
      const generated = await generatePythonStubs(out);
      assert.equal(generated.code, 0, generated.stderr);
      await same("python client checks", "every check ok", async (t) => {
        const result = await runPythonClient({ stubs: out, authUrl: system.auth.url, calendarUrl: system.calendar.url, notesUrl: t.url, clientId: system.credentials.clientId, clientSecret: system.credentials.clientSecret });
        return { exit: result.code, checks: JSON.parse(result.stdout || "{}") as Record<string, string> };
      }, (o) => {
        assert.equal(o.exit, 0);
        for (const [name, outcome] of Object.entries(o.checks)) assert.equal(outcome, "ok", name);
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
