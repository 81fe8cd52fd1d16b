/**
 * The verifier with a followed revocation list (JWKS and list served over real
 * HTTP on loopback, a frozen clock): revoked tokens are refused on the full
 * path and on every cache hit, client-wide revocations go by iat, and a list
 * too old to trust refuses every token under the stale policy. The refusals
 * as callers see them: status code, AuthError reason, www-authenticate.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { createSigningKey, signToken, type TestSigningKey } from "../test/support/jwks-server.js";
import { startProviderDocumentsServer, type ProviderDocumentsServer } from "../test/support/provider-documents-server.js";
import { AccessTokenError } from "./access-token-error.js";
import { connectErrorFromAccessFailure } from "./connect-error-from-access-failure.js";
import { createJwksKeySource } from "./jwks-key-source.js";
import { createRevocationListFollower, type RevocationListFollowerOptions } from "./revocation-list-follower.js";
import { createAccessTokenVerifier } from "./verify-access-token.js";

const now = 1_900_000_000; // frozen clock, seconds
let server: ProviderDocumentsServer;
let key: TestSigningKey;

before(async () => {
  key = await createSigningKey("k1");
  server = await startProviderDocumentsServer([key.publicJwk]);
});
after(() => server.close());
beforeEach(() => {
  server.mode = "up";
  server.revocations = { tokens: [], clients: [] };
});

function setUp(options: Partial<RevocationListFollowerOptions> = {}) {
  let clockMs = now * 1000;
  const revocations = createRevocationListFollower({ url: server.revocationsUrl, issuer: server.issuer, now: () => clockMs, ...options });
  const verify = createAccessTokenVerifier({
    issuer: server.issuer,
    audience: "note-service",
    keys: createJwksKeySource({ url: server.jwksUrl }),
    revocations,
    currentDate: () => new Date(clockMs),
  });
  return { verify, revocations, advance: (seconds: number) => (clockMs += seconds * 1000) };
}

const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: server.issuer,
  sub: "reporting",
  client_id: "reporting",
  aud: ["note-service"],
  scp: ["note.read"],
  iat: now - 10,
  exp: now + 3600,
  jti: "t-1",
  ...overrides,
});
const bearer = async (overrides: Record<string, unknown> = {}) => `Bearer ${await signToken(key, claims(overrides))}`;

const refusedWith = (reason: string, message: RegExp) => (err: unknown) => err instanceof AccessTokenError && err.reason === reason && message.test(err.message);

test("a revoked jti is refused on the full path and on a cache hit; the principal carries iat", async () => {
  const { verify, revocations } = setUp();
  await revocations.refresh();
  const authorization = await bearer();
  const principal = await verify(authorization);
  assert.deepEqual(principal.issuedAt, new Date((now - 10) * 1000));
  assert.equal(verify.fromCache(authorization), principal, "cached");

  server.revocations.tokens.push({ jti: "t-1", exp: now + 3600 });
  await revocations.refresh();
  assert.equal(verify.fromCache(authorization), undefined, "the cache hit is refused: only the full path says why");
  await assert.rejects(verify(authorization), refusedWith("token_revoked", /^the access token was revoked at the auth provider; request a new token$/));

  const fresh = await bearer({ jti: "t-1" , iat: now - 5 });
  await assert.rejects(verify(fresh), refusedWith("token_revoked", /revoked/), "never verified before: refused on the full path");
  assert.equal(verify.cachedTokens(), 1, "a token refused on the full path is not cached");
  assert.ok((await verify(await bearer({ jti: "t-2" }))).tokenId === "t-2", "other tokens still work");
});

test("a client-wide revocation refuses the client's tokens issued before its instant, and its tokens without iat", async () => {
  const { verify, revocations } = setUp();
  server.revocations.clients.push({ client_id: "reporting", tokens_issued_before: now - 5 });
  await revocations.refresh();
  await assert.rejects(verify(await bearer({ iat: now - 10 })), refusedWith("token_revoked", /revoked/));
  await assert.rejects(verify(await bearer({ iat: undefined, jti: "no-iat" })), refusedWith("token_revoked", /revoked/), "no iat: cannot be newer");
  assert.equal((await verify(await bearer({ iat: now - 5, jti: "after" }))).tokenId, "after", "issued at the instant: kept");
  assert.equal((await verify(await bearer({ client_id: "assistant", sub: "assistant", iat: undefined, jti: "other" }))).clientId, "assistant", "another client");
});

test("under the stale policy a list too old refuses every token, cached or not, until it is fetched again", async () => {
  const { verify, revocations, advance } = setUp({ maxStalenessSeconds: 30 });
  await revocations.refresh();
  const authorization = await bearer();
  await verify(authorization);
  server.mode = "down";
  advance(31);
  await revocations.refresh();
  assert.equal(verify.fromCache(authorization), undefined);
  await assert.rejects(
    verify(authorization),
    refusedWith("revocations_unavailable", /^cannot confirm that the access token is not revoked: the auth provider's revocation list was last fetched 31 s ago \(the limit is 30 s\): HTTP 503$/),
  );
  await assert.rejects(verify(await bearer({ jti: "new" })), refusedWith("revocations_unavailable", /cannot confirm/));
  server.mode = "up";
  await revocations.refresh();
  assert.ok(verify.fromCache(authorization) !== undefined, "served from the cache again");
});

test("without a revocation list the verifier works as before", async () => {
  const verify = createAccessTokenVerifier({ issuer: server.issuer, audience: "note-service", keys: createJwksKeySource({ url: server.jwksUrl }), currentDate: () => new Date(now * 1000) });
  server.revocations.tokens.push({ jti: "t-1", exp: now + 3600 });
  assert.equal((await verify(await bearer())).tokenId, "t-1");
});

test("what a caller sees: UNAUTHENTICATED, TOKEN_REVOKED and an invalid_token challenge; UNAVAILABLE, REVOCATIONS_UNAVAILABLE and none", () => {
  const revoked = connectErrorFromAccessFailure(new AccessTokenError("token_revoked", "the access token was revoked at the auth provider; request a new token"), "note-service");
  assert.equal(revoked.code, Code.Unauthenticated);
  assert.equal(revoked.findDetails(AuthErrorSchema)[0]?.reason, AuthFailureReason.TOKEN_REVOKED);
  assert.equal(
    revoked.metadata.get("www-authenticate"),
    'Bearer realm="note-service", error="invalid_token", error_description="the access token was revoked at the auth provider; request a new token"',
  );
  const unavailable = connectErrorFromAccessFailure(new AccessTokenError("revocations_unavailable", "cannot confirm that the access token is not revoked"), "note-service");
  assert.equal(unavailable.code, Code.Unavailable);
  assert.equal(unavailable.findDetails(AuthErrorSchema)[0]?.reason, AuthFailureReason.REVOCATIONS_UNAVAILABLE);
  assert.equal(unavailable.metadata.get("www-authenticate"), null, "the caller did nothing wrong");
});
