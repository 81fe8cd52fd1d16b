/**
 * The token guard through real RPCs: every way a token can be wrong, on both
 * services, over gRPC (and a spot check over Connect). Each case asserts the
 * status code, the AuthError detail, the www-authenticate challenge and that
 * nothing answers INTERNAL.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { startSystem, transportFor, type Protocol, type TestSystem } from "./support/system.js";
import { accessClaims, b64json, issuerKid, signWithForeignKey, signWithIssuerKey } from "./support/tokens.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

interface Target {
  name: "calendar" | "notes";
  audience: string;
  otherAudience: string;
  readScope: string;
  writeScope: string;
  /** A read call with this authorization value. */
  read(authorization: string | undefined, protocol?: Protocol): Promise<unknown>;
  /** A write call with this authorization value. */
  write(authorization: string | undefined): Promise<unknown>;
}

function headersOf(authorization: string | undefined) {
  return authorization === undefined ? {} : { headers: { authorization } };
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
    write: (authorization) =>
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
    write: (authorization) =>
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

    const cases: { name: string; authorization: () => Promise<string | undefined>; code: Code; reason: AuthFailureReason; message: RegExp }[] = [
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
    ];

    for (const c of cases) {
      test(`${c.name}: ${Code[c.code]}`, async () => {
        assertRefused(await refusal(target.read(await c.authorization())), c.code, c.reason, c.message);
      });
    }

    test("read scope used on a write method: PermissionDenied naming the missing scope", async () => {
      const token = await system.token(target.audience, target.readScope);
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
