/**
 * OpenTelemetry traces across the three processes: with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a receiver in this
 * test, one assistant command is one trace: the command's root span, its token request and the auth provider's
 * server span under it (with the storage calls of the token path), its RPC and the notes service's server span under
 * it (with the token check and the storage call); a refused call records why. No span holds a token, a secret or a
 * proof. Without the variable (or with OTEL_SDK_DISABLED=true) nothing is sent at all.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cliEnv, runCli } from "./support/cli.js";
import { defaultOtlpHttpPort, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./support/otlp-receiver.js";
import { startSystem, type TestSystem } from "./support/system.js";

// Only what each test sets: no tracing setting of the outer run reaches the parts.
for (const name of Object.keys(process.env)) if (name.startsWith("OTEL_")) delete process.env[name];

const serverKind = 2;
const clientKind = 3;

/** Tracing on, exporting to receiver, spans sent 100 ms after they end. */
const tracingEnv = (receiver: OtlpReceiver) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: "100" });

describe("with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  let receiver: OtlpReceiver;
  let system: TestSystem;
  before(async () => {
    receiver = await startOtlpReceiver();
    system = await startSystem({ authEnv: tracingEnv(receiver), serviceEnv: { calendar: tracingEnv(receiver), notes: tracingEnv(receiver) } });
  });
  after(async () => {
    await system?.stop();
    await receiver?.close();
  });

  test("one assistant command is one trace across the assistant, the auth provider and the notes service", async () => {
    const env = cliEnv(system, tracingEnv(receiver));
    const result = await runCli(["note", "list"], env);
    assert.equal(result.code, 0, result.stderr);

    const root = await spanArrives(receiver, (s) => s.service === "assistant" && s.name === "assistant note list");
    assert.equal(root.parentSpanId, "", "the command starts the trace");
    const inTrace = (predicate: (s: ReceivedSpan) => boolean) => spanArrives(receiver, (s) => s.traceId === root.traceId && predicate(s));

    const tokenRequest = await inTrace((s) => s.service === "assistant" && s.name === "POST /auth/oauth/token");
    assert.equal(tokenRequest.kind, clientKind);
    assert.equal(tokenRequest.parentSpanId, root.spanId);
    assert.equal(tokenRequest.attributes["http.response.status_code"], 200);

    const tokenEndpoint = await inTrace((s) => s.service === "auth-provider" && s.name === "POST /auth/oauth/token");
    assert.equal(tokenEndpoint.kind, serverKind);
    assert.equal(tokenEndpoint.parentSpanId, tokenRequest.spanId, "the auth provider continues the assistant's token request");
    assert.deepEqual(
      pick(tokenEndpoint.attributes, ["http.request.method", "url.path", "http.response.status_code", "oauth.client_id", "oauth.outcome"]),
      { "http.request.method": "POST", "url.path": "/auth/oauth/token", "http.response.status_code": 200, "oauth.client_id": system.credentials.clientId, "oauth.outcome": "ok" },
    );
    const authenticate = await inTrace((s) => s.service === "auth-provider" && s.name === "clients.authenticate");
    assert.equal(authenticate.parentSpanId, tokenEndpoint.spanId, "storage calls are children of the request");
    assert.equal(authenticate.attributes["db.system.name"], "sqlite");

    const rpc = await inTrace((s) => s.service === "assistant" && s.name === "m2m.notes.v1.NoteService/ListNotes");
    assert.equal(rpc.kind, clientKind);
    assert.equal(rpc.parentSpanId, root.spanId);
    assert.deepEqual(pick(rpc.attributes, ["rpc.system", "rpc.service", "rpc.method", "rpc.grpc.status_code"]), {
      "rpc.system": "grpc",
      "rpc.service": "m2m.notes.v1.NoteService",
      "rpc.method": "ListNotes",
      "rpc.grpc.status_code": 0,
    });

    const call = await inTrace((s) => s.service === "notes" && s.name === "m2m.notes.v1.NoteService/ListNotes");
    assert.equal(call.kind, serverKind);
    assert.equal(call.parentSpanId, rpc.spanId, "the service continues the assistant's RPC");
    assert.equal(call.attributes["rpc.grpc.status_code"], 0);
    const verify = await inTrace((s) => s.service === "notes" && s.name === "verify access token");
    assert.equal(verify.parentSpanId, call.spanId);
    assert.equal(verify.attributes["m2m.auth.outcome"], "ok");
    const list = await inTrace((s) => s.service === "notes" && s.name === "notes.list");
    assert.equal(list.parentSpanId, call.spanId);

    // A refused call: its token check records why, and the call its status (UNAUTHENTICATED), never the token.
    const forged = "eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vLXN1Y2gta2V5In0.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl";
    const refused = await fetch(`${system.notes.url}/m2m.notes.v1.NoteService/ListNotes`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${forged}` },
      body: "{}",
    });
    assert.equal(refused.status, 401);
    const refusedCall = await spanArrives(receiver, (s) => s.service === "notes" && s.name === "m2m.notes.v1.NoteService/ListNotes" && s.parentSpanId === "");
    assert.equal(refusedCall.attributes["rpc.grpc.status_code"], 16);
    const refusedCheck = await spanArrives(receiver, (s) => s.name === "verify access token" && s.parentSpanId === refusedCall.spanId);
    assert.match(String(refusedCheck.attributes["m2m.auth.outcome"]), /^[a-z_]+$/);
    assert.notEqual(refusedCheck.attributes["m2m.auth.outcome"], "ok");
    assert.equal(refusedCheck.statusCode, 2, "a refused token check is an error span");

    // Nothing secret in any span (or anywhere in what was sent): not the token, not the secret, nothing shaped like
    // an authorization value, a JWT (a token, an assertion, a DPoP proof) or HTTP Basic credentials.
    const cache = JSON.parse(readFileSync(join(env["XDG_CACHE_HOME"]!, "m2m-grpc", "tokens.json"), "utf8")) as Record<string, { accessToken: string }>;
    const tokens = Object.values(cache).map((entry) => entry.accessToken);
    assert.ok(tokens.length > 0, "the command got a token");
    const values = receiver.spans.flatMap((s) => Object.values(s.attributes).map(String));
    for (const text of [...values, ...receiver.bodies]) {
      for (const token of tokens) assert.ok(!text.includes(token), "a span holds the access token");
      assert.ok(!text.includes(system.credentials.clientSecret), "a span holds the client secret");
      assert.doesNotMatch(text, /(Bearer|DPoP|Basic) [A-Za-z0-9+/=_-]{8,}/, "a span holds an authorization value");
      assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\./, "a span holds a JWT");
    }
  });
});

describe("without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  let receiver: OtlpReceiver;
  let system: TestSystem | undefined;
  before(async () => {
    // Where an exporter sends by default, when that port is free: a part exporting without being asked would be seen.
    receiver = await startOtlpReceiver({ preferPort: defaultOtlpHttpPort });
    // The services and the assistant have no tracing setting at all; the auth provider names the receiver but
    // OTEL_SDK_DISABLED=true turns tracing off.
    system = await startSystem({ authEnv: { ...tracingEnv(receiver), OTEL_SDK_DISABLED: "true" }, serviceEnv: { notes: { OTEL_BSP_SCHEDULE_DELAY: "100" } } });
  });
  after(async () => {
    await system?.stop();
    await receiver?.close();
  });

  test("no request reaches the receiver", async () => {
    const result = await runCli(["note", "list"], cliEnv(system!, { OTEL_BSP_SCHEDULE_DELAY: "100" }));
    assert.equal(result.code, 0, result.stderr);
    // Stopping flushes whatever a process would have queued.
    const stopping = system!.stop();
    system = undefined;
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(receiver.requests, 0);
  });
});

/** The first span received that matches, once it has arrived. */
async function spanArrives(receiver: OtlpReceiver, predicate: (s: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
  await receiver.waitFor((spans) => spans.some(predicate));
  return receiver.spans.find(predicate)!;
}

function pick(attributes: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, attributes[key]]));
}
