/**
 * The bad-token matrix through real RPCs on both services, over gRPC (and a
 * spot check over Connect): every way a token can be wrong, and the tricks that
 * must still be accepted. Each refusal asserts the status code, the AuthError
 * detail and the www-authenticate challenge; nothing answers INTERNAL, the
 * services stay healthy, and a summary table (case, expected, observed) is
 * printed.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { assertAuthRefusal } from "./support/assertions.js";
import { printSummary } from "./support/summary-table.js";
import { startSystem, transportFor, type Protocol, type TestSystem } from "./support/system.js";
import { startBadTokenFixtures, type BadTokenFixtures } from "./support/bad-token-fixtures.js";
import { badTokenCases, type Authorization } from "./support/bad-token-cases.js";

let system: TestSystem;
/** A second, unrelated auth provider: its tokens are valid, just not ours. */
let fixtures: BadTokenFixtures;
before(async () => {
  system = await startSystem();
  fixtures = await startBadTokenFixtures(system.issuer);
});
after(async () => {
  await system?.stop();
  await fixtures?.stop();
});

const summary: { case: string; expected: string; observed: string }[] = [];
after(() => printSummary("bad-token matrix", summary));

interface Target {
  name: "calendar" | "notes";
  audience: string;
  otherAudience: string;
  readScope: string;
  writeScope: string;
  /** A read call with this authorization value (several values: several headers). */
  read(authorization: Authorization, protocol?: Protocol): Promise<unknown>;
  /** A write call with this authorization value. */
  write(authorization: string | undefined): Promise<unknown>;
}

function headersOf(authorization: Authorization) {
  if (authorization === undefined) return {};
  return { headers: typeof authorization === "string" ? { authorization } : authorization.map((value): [string, string] => ["authorization", value]) };
}

const targets: Target[] = [
  {
    name: "calendar",
    audience: "calendar-service",
    otherAudience: "note-service",
    readScope: "calendar.read",
    writeScope: "calendar.write",
    read: (authorization, protocol = "grpc") =>
      createClient(CalendarService, transportFor(protocol, system.calendar.url)).listEvents({}, headersOf(authorization)),
    write: (authorization: string | undefined) =>
      createClient(CalendarService, transportFor("grpc", system.calendar.url)).createEvent(
        { event: { title: "t", startTime: { seconds: 1000n }, endTime: { seconds: 2000n } } },
        headersOf(authorization),
      ),
  },
  {
    name: "notes",
    audience: "note-service",
    otherAudience: "calendar-service",
    readScope: "note.read",
    writeScope: "note.write",
    read: (authorization, protocol = "grpc") =>
      createClient(NoteService, transportFor(protocol, system.notes.url)).listNotes({}, headersOf(authorization)),
    write: (authorization: string | undefined) =>
      createClient(NoteService, transportFor("grpc", system.notes.url)).createNote({ note: { title: "t" } }, headersOf(authorization)),
  },
];

async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail("the call succeeded but should have been refused");
}


for (const target of targets) {
  describe(`token guard at ${target.name}`, () => {
    const { refused: cases, accepted } = badTokenCases({ ...target, system: () => system, otherIssuer: () => fixtures.otherIssuer(), lureUrl: () => fixtures.lureUrl() });
    const valid = () => system.token(target.audience, target.readScope);

    for (const c of cases) {
      test(`${c.name}: ${Code[c.code]}`, async () => {
        const err = await refusal(target.read(await c.authorization()));
        summary.push({ case: `${target.name}: ${c.name}`, expected: `${Code[c.code]} ${AuthFailureReason[c.reason]}`, observed: `${Code[err.code]} ${AuthFailureReason[err.findDetails(AuthErrorSchema)[0]?.reason ?? 0]}` });
        assertAuthRefusal(err, c.code, c.reason, c.message);
      });
    }

    for (const c of accepted) {
      test(`${c.name}: OK`, async () => {
        let observed = "OK";
        try {
          await target.read(await c.authorization());
        } catch (err) {
          observed = `${Code[ConnectError.from(err).code]}: ${ConnectError.from(err).rawMessage}`;
        }
        summary.push({ case: `${target.name}: ${c.name}`, expected: "OK", observed });
        assert.equal(observed, "OK");
      });
    }

    // Oversized tokens: request headers may take 64 KiB on either protocol (service-runtime/connection-limits.ts),
    // so a token over the guard's 16 KiB but within that reaches the guard and gets a readable refusal; a 10 MB
    // header is refused before any handler runs (HTTP/1.1: 431; HTTP/2: the stream is refused).
    const huge = `Bearer ${"a".repeat(10 * 1024 * 1024)}`;
    const large = `Bearer ${"a".repeat(40 * 1024)}`;
    const readVia = (transport: ReturnType<typeof createGrpcTransport>, authorization: string) =>
      target.name === "calendar"
        ? createClient(CalendarService, transport).listEvents({}, { ...headersOf(authorization), timeoutMs: 10_000 })
        : createClient(NoteService, transport).listNotes({}, { ...headersOf(authorization), timeoutMs: 10_000 });
    const tooLarge = [
      { name: "40 kB token over HTTP/1.1 (Connect)", call: () => target.read(large, "connect") },
      { name: "40 kB token over HTTP/2 (gRPC)", call: () => readVia(createGrpcTransport({ baseUrl: system[target.name].url, nodeOptions: { maxSendHeaderBlockLength: 1024 * 1024 } }), large) },
    ];
    for (const c of tooLarge) {
      test(`${c.name}: UNAUTHENTICATED, too large`, async () => {
        const err = await refusal(c.call());
        summary.push({ case: `${target.name}: ${c.name}`, expected: "Unauthenticated MALFORMED_TOKEN", observed: `${Code[err.code]} ${AuthFailureReason[err.findDetails(AuthErrorSchema)[0]?.reason ?? 0]}` });
        assertAuthRefusal(err, Code.Unauthenticated, AuthFailureReason.MALFORMED_TOKEN, /access token too large/);
      });
    }
    test("10 MB token over HTTP/1.1 (Connect): 431 before any handler", async () => {
      const err = await refusal(target.read(huge, "connect"));
      summary.push({ case: `${target.name}: 10 MB token over HTTP/1.1 (Connect)`, expected: "HTTP 431, never accepted", observed: `${Code[err.code]}: ${err.rawMessage.slice(0, 60)}` });
      // The server answers 431 and closes while the client may still be writing the 10 MB: then the client
      // sees the closed connection (EPIPE, ECONNRESET) instead of the answer. Either way nothing was accepted.
      assert.match(err.rawMessage, /HTTP 431|EPIPE|ECONNRESET/);
    });
    test("10 MB token over HTTP/2 (gRPC): refused by HTTP/2 before any handler", async () => {
      const err = await refusal(readVia(createGrpcTransport({ baseUrl: system[target.name].url }), huge));
      summary.push({ case: `${target.name}: 10 MB token over HTTP/2 (gRPC)`, expected: "refused, never accepted", observed: `${Code[err.code]}: ${err.rawMessage.slice(0, 60)}` });
      assert.match(err.rawMessage, /REFUSED_STREAM/);
    });

    test("headers pointing at other keys were never followed", () => {
      assert.equal(fixtures.lureRequests(), 0);
    });

    test("the service is healthy after the whole matrix", async () => {
      const health = createClient(Health, transportFor("grpc", system[target.name].url));
      assert.equal((await health.check({})).status, HealthCheckResponse_ServingStatus.SERVING);
      await target.read(`Bearer ${await valid()}`);
    });

    test("read scope used on a write method: PermissionDenied naming the missing scope, also once the token is cached", async () => {
      const token = await system.token(target.audience, target.readScope);
      await target.read(`Bearer ${token}`); // now in the service's verified-token cache
      const err = await refusal(target.write(`Bearer ${token}`));
      assertAuthRefusal(err, Code.PermissionDenied, AuthFailureReason.INSUFFICIENT_SCOPE, new RegExp(`lacks the scope ${target.writeScope.replace(".", "\\.")}`));
      const [detail] = err.findDetails(AuthErrorSchema);
      assert.deepEqual(detail!.requiredScopes, [target.writeScope]);
      assert.deepEqual(detail!.grantedScopes, [target.readScope]);
      assert.match(err.metadata.get("www-authenticate")!, new RegExp(`error="insufficient_scope".*scope="${target.writeScope}"`));
    });

    test("a valid token with the right audience and scope is accepted over gRPC, Connect and gRPC-Web", async () => {
      const token = await system.token(target.audience, target.readScope);
      for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
        await target.read(`Bearer ${token}`, protocol);
      }
    });

    test("refusals over Connect carry the same code and detail", async () => {
      const err = await refusal(target.read(undefined, "connect"));
      assertAuthRefusal(err, Code.Unauthenticated, AuthFailureReason.MISSING_TOKEN, /no access token/);
    });

    test("the token and the secret never appear in the service's logs", async () => {
      const token = await system.token(target.audience, target.readScope);
      const logs = (target.name === "calendar" ? system.calendar : system.notes).output.join("\n");
      assert.ok(!logs.includes(token), "token in logs");
      assert.ok(!logs.includes(system.credentials.clientSecret), "secret in logs");
      assert.ok(!logs.includes('"code":"Internal"'), "no call ended INTERNAL");
    });
  });
}
