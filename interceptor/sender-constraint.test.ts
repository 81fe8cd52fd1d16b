/**
 * Sender-constrained tokens in the verifier (keys served over loopback, a
 * frozen clock): DPoP-bound tokens (cnf.jkt) with their proofs, certificate-
 * bound tokens (cnf.x5t#S256) with the connection's certificate, each refusal
 * reason with its message, the proof checked again on every cache hit, and
 * what a caller sees (status, AuthError reason, the DPoP or Bearer challenge).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { createDpopKey, signProof, type DpopTestKey, type ProofFor } from "../test/support/dpop-proofs.js";
import { createSigningKey, signToken, startJwksServer, type JwksServer, type TestSigningKey } from "../test/support/jwks-server.js";
import { AccessTokenError, type AccessTokenFailureReason } from "./access-token-error.js";
import { connectErrorFromAccessFailure } from "./connect-error-from-access-failure.js";
import { createJwksKeySource } from "./jwks-key-source.js";
import { parseAuthorization } from "./parse-authorization.js";
import type { SenderEvidence } from "./sender-constraint.js";
import { createAccessTokenVerifier, type AccessTokenVerifier } from "./verify-access-token.js";

const issuer = "http://localhost:3001/auth";
const now = 1_900_000_000; // frozen clock, seconds
const url = "https://notes.example:8443/m2m.notes.v1.NoteService/ListNotes";
const certificate = "2p7QVFhROycZRY2r0yqS97sDbXG0rbNiBWBZ2Sit5wk";
const otherCertificate = "AAAAVFhROycZRY2r0yqS97sDbXG0rbNiBWBZ2Sit5wk";
let jwks: JwksServer;
let signer: TestSigningKey;
let client: DpopTestKey;
let thief: DpopTestKey;

before(async () => {
  signer = await createSigningKey("k1");
  jwks = await startJwksServer([signer.publicJwk]);
  client = await createDpopKey();
  thief = await createDpopKey();
});
after(() => jwks.close());

const newVerifier = () => createAccessTokenVerifier({ issuer, audience: "note-service", keys: createJwksKeySource({ url: jwks.url }), currentDate: () => new Date(now * 1000) });
const tokenWith = (cnf: unknown, overrides: Record<string, unknown> = {}) =>
  signToken(signer, { iss: issuer, sub: "assistant", client_id: "assistant", aud: ["note-service"], scp: ["note.read"], iat: now, exp: now + 600, jti: crypto.randomUUID(), cnf, ...overrides });
const dpopToken = () => tokenWith({ jkt: client.thumbprint });

/** What a call presents: a POST to `url` over a connection with `peer` as its client certificate. */
const evidence = (dpopHeader: string | null, peer?: string, overrides: Partial<SenderEvidence> = {}): SenderEvidence => ({
  httpMethod: "POST",
  url,
  dpopHeader,
  peerCertificateThumbprint: () => peer,
  ...overrides,
});
const proof = (token: string, overrides: Partial<ProofFor> = {}, key = client) => signProof(key, { url, accessToken: token, iat: now, ...overrides });

async function refusal(verify: AccessTokenVerifier, authorization: string, presented?: SenderEvidence): Promise<AccessTokenError> {
  try {
    await verify(authorization, presented);
  } catch (err) {
    assert.ok(err instanceof AccessTokenError, `a typed error, got ${String(err)}`);
    return err;
  }
  assert.fail("accepted");
}

describe("DPoP-bound tokens", () => {
  test("DPoP <token> with a good proof: the principal names the key; a bearer fast path never answers it", async () => {
    const verify = newVerifier();
    const token = await dpopToken();
    const principal = await verify(`DPoP ${token}`, evidence(proof(token)));
    assert.deepEqual(principal.confirmation, { jkt: client.thumbprint });
    assert.equal(verify.cachedTokens(), 1, "the token is cached");
    assert.equal(verify.fromCache(`DPoP ${token}`), undefined, "but the synchronous path does not answer a bound token");
    assert.equal(await verify(`dpop ${token}`, evidence(proof(token))).then((p) => p.clientId), "assistant", "the scheme in any case");
  });

  test("a cache hit still checks the proof: a new proof passes, a replayed one, none, or another key's fail", async () => {
    const verify = newVerifier();
    const token = await dpopToken();
    const first = proof(token);
    await verify(`DPoP ${token}`, evidence(first));
    await verify(`DPoP ${token}`, evidence(proof(token)));
    assert.equal(verify.cachedTokens(), 1);
    const replayed = await refusal(verify, `DPoP ${token}`, evidence(first));
    assert.equal(replayed.reason, "invalid_dpop_proof");
    assert.match(replayed.message, /already used \(jti replay\)/);
    assert.match((await refusal(verify, `DPoP ${token}`, evidence(null))).message, /a DPoP proof is required/);
    assert.match((await refusal(verify, `DPoP ${token}`)).message, /a DPoP proof is required/, "no evidence at all");
    assert.match((await refusal(verify, `DPoP ${token}`, evidence(proof(token, {}, thief)))).message, /signed with another key than the one the access token is bound to/);
  });

  test("behind a proxy: a proof may name one of the service's public URLs instead of the URL the request arrived with", async () => {
    const verify = newVerifier();
    const token = await dpopToken();
    const behindProxy = { url: "http://10.0.0.7:3012/m2m.notes.v1.NoteService/ListNotes", alternateUrls: [url] };
    await verify(`DPoP ${token}`, evidence(proof(token), undefined, behindProxy));
    const other = await refusal(verify, `DPoP ${token}`, evidence(proof(token, { url: "https://other.example/m2m.notes.v1.NoteService/ListNotes" }), undefined, behindProxy));
    assert.match(other.message, /htu must be http:\/\/10\.0\.0\.7:3012\/m2m\.notes\.v1\.NoteService\/ListNotes/);
  });

  test("a Connect GET: htm GET, htu without the query", async () => {
    const verify = newVerifier();
    const token = await dpopToken();
    const get = { httpMethod: "GET", url: `${url}?connect=v1&encoding=proto&message=AA` };
    await verify(`DPoP ${token}`, evidence(proof(token, { method: "GET" }), undefined, get));
    assert.match((await refusal(verify, `DPoP ${token}`, evidence(proof(token), undefined, get))).message, /htm must be GET/);
  });

  const refused: [string, (token: string) => { authorization?: string; dpop: string | null }, AccessTokenFailureReason, RegExp][] = [
    ["the token as Bearer (a stolen token replayed)", (t) => ({ authorization: `Bearer ${t}`, dpop: null }), "dpop_token_as_bearer", /is DPoP-bound: send it as "authorization: DPoP <token>"/],
    ["the token as Bearer with a good proof", (t) => ({ authorization: `Bearer ${t}`, dpop: proof(t) }), "dpop_token_as_bearer", /DPoP-bound/],
    ["another key's proof", (t) => ({ dpop: proof(t, {}, thief) }), "invalid_dpop_proof", /signed with another key/],
    ["a proof for another method", (t) => ({ dpop: proof(t, { url: url.replace("ListNotes", "DeleteNote") }) }), "invalid_dpop_proof", /htu must be https:\/\/notes\.example:8443\/m2m\.notes\.v1\.NoteService\/ListNotes/],
    ["a proof for another host", (t) => ({ dpop: proof(t, { url: url.replace("notes.example", "evil.example") }) }), "invalid_dpop_proof", /htu must be/],
    ["a proof for another scheme", (t) => ({ dpop: proof(t, { url: url.replace("https:", "http:") }) }), "invalid_dpop_proof", /htu must be/],
    ["htm GET on a POST", (t) => ({ dpop: proof(t, { method: "GET" }) }), "invalid_dpop_proof", /htm must be POST/],
    ["a stale proof (61 s)", (t) => ({ dpop: proof(t, { iat: now - 61 }) }), "invalid_dpop_proof", /stale: its iat is 61 s old/],
    ["a proof from the future (10 s)", (t) => ({ dpop: proof(t, { iat: now + 10 }) }), "invalid_dpop_proof", /in the future/],
    ["a proof with the private key inside", (t) => ({ dpop: proof(t, { header: { jwk: { ...client.publicJwk, d: "AAAA" } } }) }), "invalid_dpop_proof", /holds a private key/],
    ["a proof without ath", (t) => ({ dpop: proof(t, { accessToken: undefined }) }), "invalid_dpop_proof", /ath does not match/],
    ["a proof for another token (wrong ath)", (t) => ({ dpop: proof(t, { accessToken: `${t}x` }) }), "invalid_dpop_proof", /ath does not match/],
    ["typ JWT", (t) => ({ dpop: proof(t, { header: { typ: "JWT" } }) }), "invalid_dpop_proof", /typ must be "dpop\+jwt"/],
    ["two proofs (repeated dpop headers joined)", (t) => ({ dpop: `${proof(t)}, ${proof(t)}` }), "invalid_dpop_proof", /more than one DPoP proof/],
    ["a proof that is not a JWS", (t) => ({ dpop: `${proof(t)}.x` }), "invalid_dpop_proof", /not a compact JWS/],
  ];
  for (const [name, make, reason, message] of refused) {
    test(`${name}: ${reason}`, async () => {
      const token = await dpopToken();
      const { authorization = `DPoP ${token}`, dpop } = make(token);
      const err = await refusal(newVerifier(), authorization, evidence(dpop));
      assert.equal(err.reason, reason);
      assert.match(err.message, message);
    });
  }

  test("the DPoP scheme with a token that is not DPoP-bound: token_not_dpop_bound (with or without a certificate binding)", async () => {
    for (const cnf of [undefined, { "x5t#S256": certificate }]) {
      const token = await tokenWith(cnf);
      const err = await refusal(newVerifier(), `DPoP ${token}`, evidence(proof(token), certificate));
      assert.equal(err.reason, "token_not_dpop_bound");
      assert.equal(err.scheme, "DPoP");
    }
  });

  test("a refused DPoP-bound token is never cached under the Bearer scheme", async () => {
    const verify = newVerifier();
    const token = await dpopToken();
    await refusal(verify, `Bearer ${token}`, evidence(null));
    assert.equal(verify.cachedTokens(), 0);
    assert.equal(verify.fromCache(`Bearer ${token}`), undefined);
  });
});

describe("certificate-bound tokens", () => {
  test("Bearer over a connection with that certificate: accepted, on the cache hit too; without it or with another: certificate_mismatch", async () => {
    const verify = newVerifier();
    const token = await tokenWith({ "x5t#S256": certificate });
    assert.deepEqual((await verify(`Bearer ${token}`, evidence(null, certificate))).confirmation, { x5tS256: certificate });
    assert.equal(verify.fromCache(`Bearer ${token}`), undefined, "the synchronous path does not answer a bound token");
    await verify(`Bearer ${token}`, evidence(null, certificate));
    const none = await refusal(verify, `Bearer ${token}`, evidence(null));
    assert.equal(none.reason, "certificate_mismatch");
    assert.match(none.message, /bound to a client certificate \(cnf\.x5t#S256\) that this connection did not present: connect over TLS with that certificate/);
    const other = await refusal(verify, `Bearer ${token}`, evidence(null, otherCertificate));
    assert.match(other.message, /did not present: it presented another one/);
  });

  test("bound to both: needs the proof and the certificate", async () => {
    const verify = newVerifier();
    const token = await tokenWith({ jkt: client.thumbprint, "x5t#S256": certificate });
    assert.deepEqual((await verify(`DPoP ${token}`, evidence(proof(token), certificate))).confirmation, { jkt: client.thumbprint, x5tS256: certificate });
    assert.equal((await refusal(verify, `DPoP ${token}`, evidence(proof(token)))).reason, "certificate_mismatch");
    assert.equal((await refusal(verify, `DPoP ${token}`, evidence(null, certificate))).reason, "invalid_dpop_proof");
  });
});

describe("cnf claims this service cannot check are refused (fail closed)", () => {
  const cases: [string, unknown, RegExp][] = [
    ["an unknown confirmation method", { jwk: { kty: "EC" } }, /confirmation method this service does not check \(cnf member "jwk"\)/],
    ["an unknown member beside jkt", { jkt: "2p7QVFhROycZRY2r0yqS97sDbXG0rbNiBWBZ2Sit5wk", kid: "k" }, /cnf member "kid"/],
    ["an empty cnf", {}, /names no confirmation method/],
    ["cnf a string", "jkt", /must be an object/],
    ["a jkt that is no SHA-256 thumbprint", { jkt: "abc" }, /cnf\.jkt must be a base64url SHA-256 thumbprint/],
    ["an x5t#S256 with its unused bits set", { "x5t#S256": "2p7QVFhROycZRY2r0yqS97sDbXG0rbNiBWBZ2Sit5wl" }, /cnf\.x5t#S256 must be/],
  ];
  for (const [name, cnf, message] of cases) {
    test(`${name}: invalid_claims`, async () => {
      const token = await tokenWith(cnf);
      for (const scheme of ["Bearer", "DPoP"]) {
        const err = await refusal(newVerifier(), `${scheme} ${token}`, evidence(proof(token), certificate));
        assert.equal(err.reason, "invalid_claims");
        assert.match(err.message, message);
      }
    });
  }
});

describe("the authorization value", () => {
  test("DPoP and Bearer, any case, one or more spaces; anything else malformed", () => {
    assert.deepEqual(parseAuthorization("DPoP abc.def.ghi"), { scheme: "DPoP", token: "abc.def.ghi" });
    assert.deepEqual(parseAuthorization("dpop  abc.def.ghi"), { scheme: "DPoP", token: "abc.def.ghi" });
    assert.deepEqual(parseAuthorization("BEARER abc.def.ghi"), { scheme: "Bearer", token: "abc.def.ghi" });
    assert.throws(() => parseAuthorization("DPoP"), { reason: "malformed_authorization", message: 'malformed authorization: expected exactly one "DPoP <token>"', scheme: "DPoP" });
    assert.throws(() => parseAuthorization("DPoP a, DPoP b"), { reason: "malformed_authorization", message: /more than one authorization value/ });
    assert.throws(() => parseAuthorization("Basic abc"), { message: 'unsupported authorization scheme "Basic": expected "Bearer <token>" or "DPoP <token>"' });
  });
});

describe("what a caller sees", () => {
  const algs = 'algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA"';
  const cases: [AccessTokenError, AuthFailureReason, string][] = [
    [new AccessTokenError("invalid_dpop_proof", "the DPoP proof's htm must be POST", { scheme: "DPoP" }), AuthFailureReason.INVALID_DPOP_PROOF, `DPoP error="invalid_dpop_proof", error_description="the DPoP proof's htm must be POST", ${algs}`],
    [new AccessTokenError("dpop_token_as_bearer", "the access token is DPoP-bound", { scheme: "Bearer" }), AuthFailureReason.DPOP_TOKEN_AS_BEARER, `DPoP error="invalid_token", error_description="the access token is DPoP-bound", ${algs}`],
    [new AccessTokenError("token_not_dpop_bound", "not DPoP-bound", { scheme: "DPoP" }), AuthFailureReason.TOKEN_NOT_DPOP_BOUND, `DPoP error="invalid_token", error_description="not DPoP-bound", ${algs}`],
    [new AccessTokenError("token_expired", "the access token has expired", { scheme: "DPoP" }), AuthFailureReason.TOKEN_EXPIRED, `DPoP error="invalid_token", error_description="the access token has expired", ${algs}`],
    [new AccessTokenError("insufficient_scope", "lacks note.write", { scheme: "DPoP", requiredScopes: ["note.write"] }), AuthFailureReason.INSUFFICIENT_SCOPE, `DPoP error="insufficient_scope", error_description="lacks note.write", scope="note.write", ${algs}`],
    [new AccessTokenError("certificate_mismatch", "bound to a client certificate"), AuthFailureReason.CERTIFICATE_MISMATCH, 'Bearer realm="note-service", error="invalid_token", error_description="bound to a client certificate"'],
  ];
  for (const [err, reason, challenge] of cases) {
    const code = err.reason === "insufficient_scope" ? Code.PermissionDenied : Code.Unauthenticated;
    test(`${err.reason}${err.scheme ? ` under ${err.scheme}` : ""}: ${Code[code]}, ${AuthFailureReason[reason]}`, () => {
      const answer = connectErrorFromAccessFailure(err, "note-service");
      assert.equal(answer.code, code);
      assert.equal(answer.findDetails(AuthErrorSchema)[0]?.reason, reason);
      assert.equal(answer.metadata.get("www-authenticate"), challenge);
    });
  }

  test("a refusal inside the verifier under the DPoP scheme carries the scheme", async () => {
    const token = await tokenWith({ jkt: client.thumbprint }, { aud: ["calendar-service"] });
    const err = await refusal(newVerifier(), `DPoP ${token}`, evidence(proof(token)));
    assert.equal(err.reason, "wrong_audience");
    assert.match(connectErrorFromAccessFailure(err, "note-service").metadata.get("www-authenticate") ?? "", /^DPoP error="invalid_token", error_description="the access token is for/);
  });
});
