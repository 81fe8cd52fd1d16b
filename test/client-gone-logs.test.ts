/**
 * A client that goes away is not a server error (issue 12, item 4). Against the real calendar and notes
 * processes, a raw node:http2 client opens a reflection stream (bidirectional: its request stream still open)
 * and a health Watch on one session, gets an answer on each, then destroys the session. Both calls must be
 * logged as Canceled at the level of a cancelled watch, never as `level: error` "Premature close" (Unknown).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, test } from "node:test";
import { ServerReflectionRequestSchema } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflectionRequestSchema as AlphaRequestSchema } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { RunningProcess } from "./support/processes.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;

before(async () => {
  system = await startSystem();
});

after(async () => {
  await system?.stop();
});

/** One gRPC envelope (uncompressed) around `message`. */
function envelope(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/**
 * Opens a gRPC stream and sends `message`, then ends the request (a server stream) or leaves it open (a
 * bidirectional one); resolves once the first response bytes arrive.
 */
function openStream(session: http2.ClientHttp2Session, path: string, message: Uint8Array, endRequest: boolean): Promise<http2.ClientHttp2Stream> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    stream.on("error", () => {}); // the session is destroyed under it on purpose
    stream.once("data", () => resolve(stream));
    stream.once("close", () => reject(new Error(`${path} closed before answering (status ${stream.rstCode})`)));
    if (endRequest) stream.end(envelope(message));
    else stream.write(envelope(message));
  });
}

/** The call log line of `method`, waiting up to 5 s for it. */
async function callLine(process: RunningProcess, method: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const line = process.logs().find((l) => l["msg"] === "call" && l["method"] === method);
    if (line) return line;
    assert.ok(Date.now() < deadline, `no call log line for ${method}:\n${process.output.slice(-10).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const reflections = [
  { version: "v1", method: "grpc.reflection.v1.ServerReflection/ServerReflectionInfo", request: () => toBinary(ServerReflectionRequestSchema, create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "*" } })) },
  { version: "v1alpha", method: "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", request: () => toBinary(AlphaRequestSchema, create(AlphaRequestSchema, { messageRequest: { case: "listServices", value: "*" } })) },
];

for (const service of ["calendar", "notes"] as const) {
  test(`${service}: a reflection client that disconnects with its stream open is logged as Canceled, like a cancelled watch`, async () => {
    const process = system[service];
    const session = http2.connect(process.url);
    session.on("error", () => {});
    await Promise.all([
      ...reflections.map((r) => openStream(session, `/${r.method}`, r.request(), false)),
      openStream(session, "/grpc.health.v1.Health/Watch", new Uint8Array(0), true),
    ]);
    session.destroy();

    const watch = await callLine(process, "grpc.health.v1.Health/Watch");
    assert.equal(watch["code"], "Canceled", JSON.stringify(watch));
    for (const r of reflections) {
      const line = await callLine(process, r.method);
      assert.notEqual(line["level"], "error", `${r.version}: ${JSON.stringify(line)}`);
      assert.equal(line["level"], watch["level"], `${r.version}: logged at the level of a cancelled watch`);
      assert.equal(line["code"], "Canceled", `${r.version}: ${JSON.stringify(line)}`);
    }
    assert.equal(process.logs().filter((l) => l["level"] === "error").length, 0, "no error lines at all");
  });
}
