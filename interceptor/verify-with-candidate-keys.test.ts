/**
 * Tokens without `kid` against a JWKS that holds several keys of their
 * algorithm (issue 14 §6), through the whole verifier: each matching key is
 * tried, at most four; keys of other algorithms are no candidates.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { JWK } from "jose";
import { createSigningKey, signToken, startJwksServer, type JwksServer, type TestSigningKey } from "../test/support/jwks-server.js";
import { AccessTokenError, type AccessTokenFailureReason } from "./access-token-error.js";
import { createJwksKeySource } from "./jwks-key-source.js";
import { createAccessTokenVerifier, type AccessTokenVerifier } from "./verify-access-token.js";

const issuer = "http://localhost:3001/auth";
const now = 1_900_000_000;
let jwks: JwksServer;
let es256: TestSigningKey[];
let rs256: TestSigningKey[];

before(async () => {
  es256 = await Promise.all(["e1", "e2", "e3", "e4", "e5"].map((kid) => createSigningKey(kid, "ES256")));
  rs256 = await Promise.all(["r1", "r2"].map((kid) => createSigningKey(kid, "RS256")));
  jwks = await startJwksServer();
});
after(() => jwks.close());

/** A verifier over exactly these published keys. */
function verifierFor(keys: JWK[]): AccessTokenVerifier {
  jwks.keys = keys;
  return createAccessTokenVerifier({ issuer, audience: "calendar-service", keys: createJwksKeySource({ url: jwks.url }), currentDate: () => new Date(now * 1000) });
}

const claims = (overrides: Record<string, unknown> = {}) => ({ iss: issuer, sub: "c", aud: ["calendar-service"], scp: ["calendar.read"], iat: now, exp: now + 600, jti: "t-1", ...overrides });
const withoutKid = (key: TestSigningKey, overrides: Record<string, unknown> = {}) => signToken(key, claims(overrides), { kid: undefined });

async function outcome(verify: AccessTokenVerifier, token: string): Promise<AccessTokenFailureReason | "ok"> {
  try {
    await verify(`Bearer ${token}`);
    return "ok";
  } catch (err) {
    assert.ok(err instanceof AccessTokenError, String(err));
    return err.reason;
  }
}

test("a token without kid verifies with whichever of 2 or 3 matching keys signed it", async () => {
  for (const count of [2, 3]) {
    const published = es256.slice(0, count);
    const verify = verifierFor(published.map((k) => k.publicJwk));
    for (const signer of published) assert.equal(await outcome(verify, await withoutKid(signer)), "ok", `${count} keys, signed by ${signer.kid}`);
    assert.equal(verify.cachedTokens(), 0, "not cached: the cache lives while the named key is published");
  }
});

test("four matching keys are tried; keys of another algorithm are no candidates", async () => {
  const verify = verifierFor([...rs256, ...es256.slice(0, 4)].map((k) => k.publicJwk));
  assert.equal(await outcome(verify, await withoutKid(es256[3]!)), "ok");
  assert.equal(await outcome(verify, await withoutKid(rs256[1]!)), "ok");
});

test("five matching keys: unknown_key, saying why", async () => {
  const verify = verifierFor(es256.map((k) => k.publicJwk));
  await assert.rejects(verify(`Bearer ${await withoutKid(es256[0]!)}`), {
    reason: "unknown_key",
    message: "the access token names no key id (kid) and more than 4 keys of the auth provider match its algorithm ES256; tokens must name their key (kid)",
  });
});

test("signed by none of several matching keys: invalid_signature", async () => {
  const verify = verifierFor(es256.slice(0, 3).map((k) => k.publicJwk));
  const stranger = await createSigningKey("stranger", "ES256");
  assert.equal(await outcome(verify, await withoutKid(stranger)), "invalid_signature");
});

test("once a key verifies the signature, its claims decide: an expired token is token_expired", async () => {
  const verify = verifierFor(es256.slice(0, 3).map((k) => k.publicJwk));
  assert.equal(await outcome(verify, await withoutKid(es256[2]!, { exp: now - 3600 })), "token_expired");
  assert.equal(await outcome(verify, await withoutKid(es256[2]!, { aud: ["note-service"] })), "wrong_audience");
});

test("with kid, only that key is used", async () => {
  const verify = verifierFor(es256.slice(0, 3).map((k) => k.publicJwk));
  assert.equal(await outcome(verify, await signToken(es256[1]!, claims())), "ok");
  assert.equal(await outcome(verify, await signToken(es256[1]!, claims(), { kid: "e1" })), "invalid_signature");
});
