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
import { createServer } from "node:http";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { printSummary } from "./support/summary-table.js";
import { startSystem, transportFor, type Protocol, type TestSystem } from "./support/system.js";
import { accessClaims, b64json, issuerKid, readAssistantCredentials, requestToken, signWithForeignKey, signWithIssuerKey } from "./support/tokens.js";

let system: TestSystem;
/** A second, unrelated auth provider: its tokens are valid, just not ours. */
let otherIssuer: RunningProcess;
const otherData = tempDataDir();
/** Where jku / x5u headers point; it must never be asked for anything. */
const lure = { requests: 0, url: "" };
const lureServer = createServer((_req, res) => {
  lure.requests++;
  res.writeHead(404).end();
});
before(async () => {
  system = await startSystem();
  otherIssuer = await startProcess("auth-provider/main.js", { env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: otherData.path, AUTH_ISSUER: system.issuer } });
  await new Promise<void>((resolve) => lureServer.listen(0, "127.0.0.1", resolve));
  lure.url = `http://127.0.0.1:${(lureServer.address() as { port: number }).port}/keys.json`;
});
after(async () => {
  await system?.stop();
  await otherIssuer?.stop();
  otherData.remove();
  lureServer.close();
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

type Authorization = string | string[] | undefined;

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

function assertRefused(err: ConnectError, code: Code, reason: AuthFailureReason, messagePart: RegExp) {
  assert.equal(Code[err.code], Code[code], `code (message: ${err.rawMessage})`);
  assert.match(err.rawMessage, messagePart);
  const [detail] = err.findDetails(AuthErrorSchema);
  assert.ok(detail, "the error carries an m2m.auth.v1.AuthError detail");
  assert.equal(AuthFailureReason[detail.reason], AuthFailureReason[reason]);
  if (code !== Code.Unavailable) assert.match(err.metadata.get("www-authenticate") ?? "", /^Bearer realm="/);
}

for (const target of targets) {
  describe(`token guard at ${target.name}`, () => {
    const sign = (overrides = {}, header = {}) =>
      signWithIssuerKey(system.dataDir, accessClaims(system.issuer, target.audience, [target.readScope, target.writeScope], overrides), header);

    const claims = (overrides = {}) => accessClaims(system.issuer, target.audience, [target.readScope], overrides);
    const valid = () => system.token(target.audience, target.readScope);

    const cases: { name: string; authorization: () => Promise<Authorization>; code: Code; reason: AuthFailureReason; message: RegExp }[] = [
      { name: "no token", authorization: async () => undefined, code: Code.Unauthenticated, reason: AuthFailureReason.MISSING_TOKEN, message: /no access token/ },
      { name: "wrong scheme", authorization: async () => "Basic YXNzaXN0YW50OnNlY3JldA==", code: Code.Unauthenticated, reason: AuthFailureReason.MALFORMED_AUTHORIZATION, message: /scheme "Basic"/ },
      { name: "bearer without a token", authorization: async () => "Bearer", code: Code.Unauthenticated, reason: AuthFailureReason.MALFORMED_AUTHORIZATION, message: /exactly one "Bearer <token>"/ },
      { name: "garbage", authorization: async () => "Bearer garbage", code: Code.Unauthenticated, reason: AuthFailureReason.MALFORMED_TOKEN, message: /not a JWT/ },
      {
        name: "truncated signature",
        authorization: async () => `Bearer ${(await system.token(target.audience, target.readScope)).slice(0, -6)}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.INVALID_SIGNATURE,
        message: /signature does not verify/,
      },
      {
        name: "a real token with == padding after its signature (the same bytes)",
        authorization: async () => `Bearer ${await valid()}==`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.MALFORMED_TOKEN,
        message: /signature is not canonical base64url/,
      },
      {
        name: "a real token, its signature's last character with an unused bit set (same bytes)",
        authorization: async () => {
          const token = await valid();
          const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
          return `Bearer ${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) | 1]}`;
        },
        code: Code.Unauthenticated,
        reason: AuthFailureReason.MALFORMED_TOKEN,
        message: /signature is not canonical base64url/,
      },
      {
        name: "alg none",
        authorization: async () => `Bearer ${b64json({ alg: "none", typ: "JWT" })}.${b64json(accessClaims(system.issuer, target.audience, [target.readScope]))}.`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNSUPPORTED_ALGORITHM,
        message: /algorithm "none" is not accepted/,
      },
      {
        name: "HS256 signed with the public key",
        authorization: async () => {
          const jwks = await (await fetch(`${system.auth.url}/auth/jwt/jwks.json`)).text();
          const token = await new SignJWT(accessClaims(system.issuer, target.audience, [target.readScope]))
            .setProtectedHeader({ alg: "HS256", kid: issuerKid(system.dataDir) })
            .sign(new TextEncoder().encode(jwks));
          return `Bearer ${token}`;
        },
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNSUPPORTED_ALGORITHM,
        message: /"HS256" is not accepted/,
      },
      {
        name: "unknown key with a known kid",
        authorization: async () =>
          `Bearer ${await signWithForeignKey(accessClaims(system.issuer, target.audience, [target.readScope]), { kid: issuerKid(system.dataDir) })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.INVALID_SIGNATURE,
        message: /signature does not verify/,
      },
      {
        name: "unknown kid",
        authorization: async () => `Bearer ${await signWithForeignKey(accessClaims(system.issuer, target.audience, [target.readScope]))}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNKNOWN_KEY,
        message: /no key of the auth provider matches/,
      },
      {
        name: "expired",
        authorization: async () => `Bearer ${await sign({ iat: 1_000_000, nbf: 1_000_000, exp: Math.floor(Date.now() / 1000) - 3600 })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.TOKEN_EXPIRED,
        message: /expired/,
      },
      {
        name: "not yet valid",
        authorization: async () => `Bearer ${await sign({ nbf: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.TOKEN_NOT_YET_VALID,
        message: /not valid yet/,
      },
      {
        name: "wrong issuer",
        authorization: async () => `Bearer ${await sign({ iss: "http://127.0.0.1:1/other" })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.WRONG_ISSUER,
        message: /not issued by/,
      },
      {
        name: "empty audience",
        authorization: async () => `Bearer ${await sign({ aud: [] })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.WRONG_AUDIENCE,
        message: /names no audience/,
      },
      {
        name: "another service's audience (a real token replayed)",
        authorization: async () => `Bearer ${await system.token(target.otherAudience, target.name === "calendar" ? "note.read" : "calendar.read")}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.WRONG_AUDIENCE,
        message: new RegExp(`is for "${target.otherAudience}", not for ${target.audience}`),
      },
      {
        name: "no scope claim",
        authorization: async () => `Bearer ${await sign({ scp: undefined })}`,
        code: Code.PermissionDenied,
        reason: AuthFailureReason.INSUFFICIENT_SCOPE,
        message: new RegExp(`lacks the scope ${target.readScope.replace(".", "\\.")} \\(it grants no scopes\\)`),
      },
      {
        name: "scp of the wrong type",
        authorization: async () => `Bearer ${await sign({ scp: target.readScope })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.INVALID_CLAIMS,
        message: /"scp" claim must be an array/,
      },
      {
        name: "an ID token (typ)",
        authorization: async () => `Bearer ${await sign({}, { typ: "id_token+jwt" })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.WRONG_TOKEN_TYPE,
        message: /not an access token/,
      },
      {
        name: "kid with path characters",
        authorization: async () => `Bearer ${await signWithForeignKey(claims(), { kid: "../../../etc/passwd" })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNKNOWN_KEY,
        message: /no key of the auth provider matches the token's key id "\.\.\/\.\.\/\.\.\/etc\/passwd"/,
      },
      {
        name: "kid with SQL characters",
        authorization: async () => `Bearer ${await signWithForeignKey(claims(), { kid: "' OR '1'='1'; --" })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNKNOWN_KEY,
        message: /no key of the auth provider matches/,
      },
      {
        name: "jku pointing elsewhere (never fetched)",
        authorization: async () => `Bearer ${await signWithForeignKey(claims(), { kid: "lure", jku: lure.url })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNKNOWN_KEY,
        message: /matches the token's key id "lure"/,
      },
      {
        name: "x5u pointing elsewhere (never fetched)",
        authorization: async () => `Bearer ${await signWithForeignKey(claims(), { kid: "lure", x5u: lure.url })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNKNOWN_KEY,
        message: /matches the token's key id "lure"/,
      },
      {
        name: "embedded jwk of the signer, with our kid",
        authorization: async () => {
          const { publicKey, privateKey } = await generateKeyPair("ES256");
          const jwk = await exportJWK(publicKey);
          return `Bearer ${await new SignJWT(claims()).setProtectedHeader({ alg: "ES256", kid: issuerKid(system.dataDir), jwk }).sign(privateKey)}`;
        },
        code: Code.Unauthenticated,
        reason: AuthFailureReason.INVALID_SIGNATURE,
        message: /signature does not verify/,
      },
      {
        name: "crit header",
        authorization: async () => `Bearer ${b64json({ alg: "ES256", kid: issuerKid(system.dataDir), crit: ["x-must"], "x-must": 1 })}.${b64json(claims())}.c2ln`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.MALFORMED_TOKEN,
        message: /critical extensions/,
      },
      {
        name: "RS256 token against our EC key's kid",
        authorization: async () => {
          const { privateKey } = await generateKeyPair("RS256");
          return `Bearer ${await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: issuerKid(system.dataDir) }).sign(privateKey)}`;
        },
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNKNOWN_KEY,
        message: /algorithm RS256/,
      },
      {
        name: "tab between scheme and token",
        authorization: async () => `Bearer\t${await valid()}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.MALFORMED_AUTHORIZATION,
        message: /exactly one "Bearer <token>"/,
      },
      {
        name: "two authorization values",
        authorization: async () => [`Bearer ${await valid()}`, `Bearer ${await valid()}`],
        code: Code.Unauthenticated,
        reason: AuthFailureReason.MALFORMED_AUTHORIZATION,
        message: /more than one authorization value: expected exactly one "Bearer <token>"/,
      },
      {
        name: "exp as a string",
        authorization: async () => `Bearer ${await sign({ exp: String(Math.floor(Date.now() / 1000) + 600) })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.INVALID_CLAIMS,
        message: /"exp" claim/,
      },
      {
        name: "a real token of another auth provider (its own valid key)",
        authorization: async () =>
          `Bearer ${await requestToken(otherIssuer.url, readAssistantCredentials(otherData.path), target.audience, target.readScope)}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.UNKNOWN_KEY,
        message: /no key of the auth provider matches/,
      },
      {
        name: "scope claim of the wrong type",
        authorization: async () => `Bearer ${await sign({ scp: undefined, scope: 42 })}`,
        code: Code.Unauthenticated,
        reason: AuthFailureReason.INVALID_CLAIMS,
        message: /"scope" claim/,
      },
    ];

    for (const c of cases) {
      test(`${c.name}: ${Code[c.code]}`, async () => {
        const err = await refusal(target.read(await c.authorization()));
        summary.push({ case: `${target.name}: ${c.name}`, expected: `${Code[c.code]} ${AuthFailureReason[c.reason]}`, observed: `${Code[err.code]} ${AuthFailureReason[err.findDetails(AuthErrorSchema)[0]?.reason ?? 0]}` });
        assertRefused(err, c.code, c.reason, c.message);
      });
    }

    // Tricks that are still well-formed: they must be accepted.
    const accepted: { name: string; authorization: () => Promise<string> }[] = [
      { name: "scheme in lower case, two spaces", authorization: async () => `bearer  ${await valid()}` },
      { name: "scheme in upper case, trailing space", authorization: async () => `BEARER ${await valid()} ` },
      { name: "aud as a string", authorization: async () => `Bearer ${await sign({ aud: target.audience })}` },
      { name: "aud listing another service too", authorization: async () => `Bearer ${await sign({ aud: [target.otherAudience, target.audience] })}` },
      { name: "RFC 9068 scope string and typ at+jwt", authorization: async () => `Bearer ${await sign({ scp: undefined, scope: target.readScope }, { typ: "at+jwt" })}` },
    ];
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
        assertRefused(err, Code.Unauthenticated, AuthFailureReason.MALFORMED_TOKEN, /access token too large/);
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
      assert.equal(lure.requests, 0);
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
      assertRefused(err, Code.PermissionDenied, AuthFailureReason.INSUFFICIENT_SCOPE, new RegExp(`lacks the scope ${target.writeScope.replace(".", "\\.")}`));
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
      assertRefused(err, Code.Unauthenticated, AuthFailureReason.MISSING_TOKEN, /no access token/);
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
