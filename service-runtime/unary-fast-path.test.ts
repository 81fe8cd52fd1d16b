/**
 * The unary fast path in process: a real http2 server on 127.0.0.1 with the
 * fast path in front of connect-node's adapter (as dual-protocol-server.ts
 * puts it), serving a small NoteService. It must take the unary gRPC and
 * Connect calls and leave gRPC-Web, Connect GET, application/grpc+json and
 * streaming to the adapter; over gRPC and Connect alike, a handler's signal
 * ends on a client's RST_STREAM CANCEL, at the deadline and at shutdown;
 * headers and trailers set by interceptors and handlers arrive; an
 * interceptor's plain Error becomes INTERNAL "internal error". The same checks
 * run against the adapter alone, which must answer alike.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { Code, ConnectError, createClient, createContextValues, type HandlerContext, type Interceptor, type Transport } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { validateUniversalHandlerOptions } from "@connectrpc/connect/protocol";
import { ChangeType, NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { createUnaryFastPath, type Http2StreamTaker } from "./unary-fast-path.js";
import { recordUnaryMethods } from "./unary-routes.js";

/** page_size values that ask the probe's ListNotes for a behaviour. */
const waitForAbort = 7;
const setFields = 8;

interface Probe {
  url: string;
  /** Contexts of the ListNotes calls, in order. */
  contexts: HandlerContext[];
  /** How many streams the fast path took (always 0 without it). */
  taken(): number;
  shutdown: AbortController;
  stop(): Promise<void>;
}

/** Headers and trailers set on the way out, and a plain Error thrown on request (x-throw). */
const interceptor: Interceptor = (next) => async (req) => {
  if (req.header.get("x-throw") !== null) throw new TypeError("a bug in an interceptor, with a secret");
  const res = await next(req);
  res.header.set("x-interceptor", "header");
  res.trailer.set("x-interceptor-trailer", "trailer");
  return res;
};

async function startProbe(fastPath: boolean): Promise<Probe> {
  const contexts: HandlerContext[] = [];
  const shutdown = new AbortController();
  const routes = recordUnaryMethods((router) =>
    router.service(NoteService, {
      async listNotes(req, ctx) {
        contexts.push(ctx);
        if (req.pageSize === waitForAbort) {
          if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
          throw ConnectError.from(ctx.signal.reason);
        }
        if (req.pageSize === setFields) {
          ctx.responseHeader.set("x-handler", "header");
          ctx.responseTrailer.set("x-handler-trailer", "trailer");
          // What reached the handler of the request's binary metadata, sent back.
          ctx.responseHeader.set("x-echo-bin", ctx.requestHeader.get("x-probe-bin") ?? "none");
        }
        return { notes: [], nextPageToken: "" };
      },
      async *watchNotes() {
        yield { changeType: ChangeType.WATCH_STARTED };
      },
    }),
  );
  const options = validateUniversalHandlerOptions({ readMaxBytes: 4 * 1024 * 1024, acceptCompression: [compressionGzip, compressionBrotli], shutdownSignal: shutdown.signal, interceptors: [interceptor] });
  const contextValues = () => createContextValues();
  const handler = connectNodeAdapter({ ...options, routes: routes.routes, contextValues });
  const server = http2.createServer(handler);
  let taken = 0;
  if (fastPath) {
    const take: Http2StreamTaker = createUnaryFastPath({ ...options, methods: routes.methods, shutdownSignal: shutdown.signal, contextValues });
    // As dual-protocol-server.ts does: the taker first, then Node's compatibility layer.
    const [compatibility] = server.listeners("stream") as ((...args: unknown[]) => void)[];
    server.removeAllListeners("stream");
    server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
      if (take(stream, headers, rawHeaders)) taken++;
      else compatibility!(stream, headers, flags, rawHeaders);
    });
  }
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => sessions.add(session));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    contexts,
    taken: () => taken,
    shutdown,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}

const transports = {
  grpc: (url: string) => createGrpcTransport({ baseUrl: url }),
  "grpc-web": (url: string) => createGrpcWebTransport({ baseUrl: url, httpVersion: "2" }),
  connect: (url: string) => createConnectTransport({ baseUrl: url, httpVersion: "2" }),
} satisfies Record<string, (url: string) => Transport>;

/** Waits (bounded, not timed) until the probe has seen `count` ListNotes calls. */
async function callsSeen(probe: Probe, count: number): Promise<void> {
  for (let i = 0; i < 500 && probe.contexts.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(probe.contexts.length, count);
}

async function aborted(signal: AbortSignal): Promise<ConnectError> {
  for (let i = 0; i < 500 && !signal.aborted; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(signal.aborted, "the handler's signal is aborted");
  return ConnectError.from(signal.reason);
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail("the call succeeded");
}

const probes: Probe[] = [];
after(() => Promise.all(probes.map((p) => p.stop())));
async function started(fastPath: boolean): Promise<Probe> {
  const probe = await startProbe(fastPath);
  probes.push(probe);
  return probe;
}

describe("the fast path in front of the adapter", () => {
  test("takes unary gRPC and Connect calls; gRPC-Web, Connect GET, application/grpc+json and streaming go to the adapter", async () => {
    const probe = await started(true);
    const grpc = createClient(NoteService, transports.grpc(probe.url));
    await grpc.listNotes({});
    await grpc.listNotes({ pageSize: 1 }, { headers: { "grpc-accept-encoding": "gzip" } });
    assert.equal(probe.taken(), 2, "both unary gRPC calls were taken");
    await createClient(NoteService, transports.connect(probe.url)).listNotes({});
    await createClient(NoteService, createConnectTransport({ baseUrl: probe.url, httpVersion: "2", useBinaryFormat: false })).listNotes({});
    assert.equal(probe.taken(), 4, "Connect, binary and JSON: taken");
    await createClient(NoteService, transports["grpc-web"](probe.url)).listNotes({});
    assert.equal(probe.taken(), 4, "gRPC-Web: left to the adapter");
    await createClient(NoteService, createConnectTransport({ baseUrl: probe.url, httpVersion: "2", useHttpGet: true })).listNotes({});
    assert.equal(probe.taken(), 4, "Connect GET: left to the adapter");
    const messages = [];
    for await (const m of grpc.watchNotes({})) messages.push(m.changeType);
    assert.deepEqual(messages, [ChangeType.WATCH_STARTED]);
    assert.equal(probe.taken(), 4, "a server-streaming call: left to the adapter");
    // application/grpc+json, over a raw stream.
    const session = http2.connect(probe.url);
    try {
      const status = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/m2m.notes.v1.NoteService/ListNotes", "content-type": "application/grpc+json", te: "trailers" });
        let fields: http2.IncomingHttpHeaders = {};
        req.on("response", (h) => (fields = h));
        req.on("trailers", (t) => resolve(String(t["grpc-status"] ?? fields["grpc-status"])));
        req.on("error", reject);
        req.resume();
        const json = Buffer.from("{}");
        const body = Buffer.alloc(5 + json.length);
        body.writeUInt32BE(json.length, 1);
        json.copy(body, 5);
        req.end(body);
      });
      assert.equal(status, "0");
    } finally {
      session.close();
    }
    assert.equal(probe.taken(), 4, "application/grpc+json: left to the adapter");
  });
});

/** The deadline as each protocol sends it: a header only, so that the server's timer ends the call, not the client's. */
const deadlineHeader = { grpc: { "grpc-timeout": "50m" }, connect: { "connect-timeout-ms": "50" } };

for (const [fastPath, protocol] of [[true, "grpc"], [true, "connect"], [false, "grpc"], [false, "connect"]] as const) {
  describe(`${fastPath ? "fast path" : "adapter alone"}, ${protocol}`, () => {
    test("a client's RST_STREAM CANCEL aborts the handler's signal with CANCELED", async () => {
      const probe = await started(fastPath);
      const client = createClient(NoteService, transports[protocol](probe.url));
      const cancel = new AbortController();
      const call = failure(client.listNotes({ pageSize: waitForAbort }, { signal: cancel.signal }));
      await callsSeen(probe, 1);
      cancel.abort();
      assert.equal((await call).code, Code.Canceled);
      const reason = await aborted(probe.contexts[0]!.signal);
      assert.equal(Code[reason.code], Code[Code.Canceled]);
      assert.match(reason.rawMessage, /CANCEL/);
      if (fastPath) assert.equal(probe.taken(), 1);
    });

    test("the deadline aborts the handler's signal with DEADLINE_EXCEEDED", async () => {
      const probe = await started(fastPath);
      const client = createClient(NoteService, transports[protocol](probe.url));
      const err = await failure(client.listNotes({ pageSize: waitForAbort }, { headers: deadlineHeader[protocol] }));
      assert.equal(Code[err.code], Code[Code.DeadlineExceeded]);
      const reason = await aborted(probe.contexts[0]!.signal);
      assert.equal(Code[reason.code], Code[Code.DeadlineExceeded]);
      assert.equal(reason.rawMessage, "the operation timed out");
      if (fastPath) assert.equal(probe.taken(), 1);
    });

    test("the shutdown signal aborts a call in flight", async () => {
      const probe = await started(fastPath);
      const client = createClient(NoteService, transports[protocol](probe.url));
      const call = failure(client.listNotes({ pageSize: waitForAbort }));
      await callsSeen(probe, 1);
      const reason = new ConnectError("the server is shutting down", Code.Unavailable);
      probe.shutdown.abort(reason);
      const err = await call;
      assert.equal(Code[err.code], Code[Code.Unavailable]);
      assert.equal(err.rawMessage, "the server is shutting down");
      assert.equal(probe.contexts[0]!.signal.reason, reason);
      if (fastPath) assert.equal(probe.taken(), 1);
    });

    test("headers and trailers set by an interceptor and by the handler arrive; binary metadata reaches the handler", async () => {
      const probe = await started(fastPath);
      const client = createClient(NoteService, transports[protocol](probe.url));
      let header = new Headers();
      let trailer = new Headers();
      const bin = Buffer.from([0, 1, 0xfe, 0xff]).toString("base64");
      await client.listNotes({ pageSize: setFields }, { headers: { "x-probe-bin": bin }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
      assert.equal(header.get("x-interceptor"), "header");
      assert.equal(header.get("x-handler"), "header");
      assert.equal(header.get("x-echo-bin"), bin);
      assert.equal(header.get("content-type"), protocol === "grpc" ? "application/grpc+proto" : "application/proto");
      assert.equal(trailer.get("x-interceptor-trailer"), "trailer");
      assert.equal(trailer.get("x-handler-trailer"), "trailer");
      if (protocol === "grpc") assert.equal(trailer.get("grpc-status"), "0");
      if (fastPath) assert.equal(probe.taken(), 1);
    });

    // A raw gRPC stream; the Connect protocol's limits are compared end to end (test/unary-fast-path.test.ts).
    if (protocol === "grpc") test("a 5 MB message on a raw stream: RESOURCE_EXHAUSTED", async () => {
      const probe = await started(fastPath);
      const session = http2.connect(probe.url);
      session.on("error", () => {});
      try {
        const req = session.request({ ":method": "POST", ":path": "/m2m.notes.v1.NoteService/ListNotes", "content-type": "application/grpc", te: "trailers" });
        req.on("error", () => {});
        const closed = new Promise((resolve) => req.on("close", resolve));
        const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => req.on("trailers", resolve));
        req.resume();
        const body = Buffer.alloc(5 + 5 * 1024 * 1024, 0x41);
        body.fill(0, 0, 5);
        body.writeUInt32BE(5 * 1024 * 1024, 1);
        req.end(body);
        assert.equal((await trailers)["grpc-status"], String(Code.ResourceExhausted));
        // The fast path reads and discards the rest of the upload, so the stream ends; the adapter stops reading
        // (the client's upload then waits on flow control until the connection goes), which is not checked here.
        if (fastPath) await closed;
      } finally {
        session.destroy();
      }
    });

    test("an interceptor's Error that is not a ConnectError: INTERNAL \"internal error\", the cause not sent", async () => {
      const probe = await started(fastPath);
      const client = createClient(NoteService, transports[protocol](probe.url));
      const err = await failure(client.listNotes({}, { headers: { "x-throw": "1" } }));
      assert.equal(Code[err.code], Code[Code.Internal]);
      assert.equal(err.rawMessage, "internal error");
      assert.doesNotMatch(JSON.stringify([...err.metadata]), /secret/);
      if (fastPath) assert.equal(probe.taken(), 1);
    });
  });
}
