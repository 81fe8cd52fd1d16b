/**
 * The assistant's DPoP proofs pass the checks the auth provider and the services make (interceptor/dpop-proof.ts):
 * typ, alg, public jwk, htm, htu, iat, ath; each proof has its own jti; the thumbprint is RFC 7638's.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from "jose";
import { accessTokenHash, createDpopProofVerifier, DpopProofError } from "../interceptor/dpop-proof.js";
import { generateDpopKey, jwkThumbprint } from "./dpop-key.js";
import { signDpopProof } from "./dpop-proof-signer.js";

const key = generateDpopKey();
const methodUrl = "https://127.0.0.1:3012/m2m.notes.v1.NoteService/ListNotes";

describe("signDpopProof", () => {
  test("a proof for a call verifies against the method's URL and the token, naming the key's thumbprint", async () => {
    const proof = signDpopProof(key, { method: "POST", url: methodUrl, accessToken: "the.access.token" });
    const verified = await createDpopProofVerifier()(proof, { method: "POST", urls: [methodUrl], accessToken: "the.access.token" });
    assert.equal(verified.thumbprint, key.thumbprint);
    const claims = decodeJwt(proof);
    assert.equal(claims["ath"], accessTokenHash("the.access.token"));
    assert.equal(claims["htm"], "POST");
    assert.equal(claims["htu"], methodUrl);
  });

  test("the header holds typ dpop+jwt, ES256 and the public key only", () => {
    const header = decodeProtectedHeader(signDpopProof(key, { method: "POST", url: methodUrl }));
    assert.equal(header.typ, "dpop+jwt");
    assert.equal(header.alg, "ES256");
    assert.deepEqual(Object.keys(header.jwk ?? {}).sort(), ["crv", "kty", "x", "y"]);
  });

  test("a proof for the token endpoint has no ath; iat is the given time; htu leaves out query and fragment", () => {
    const claims = decodeJwt(signDpopProof(key, { method: "POST", url: "http://localhost:3001/auth/oauth/token?x=1#f" }, 1_700_000_000_999));
    assert.equal(claims["ath"], undefined);
    assert.equal(claims.iat, 1_700_000_000);
    assert.equal(claims["htu"], "http://localhost:3001/auth/oauth/token");
  });

  test("every proof has its own jti, so none is refused as a replay", async () => {
    const verify = createDpopProofVerifier();
    const proofs = [1, 2, 3].map(() => signDpopProof(key, { method: "POST", url: methodUrl, accessToken: "t" }));
    assert.equal(new Set(proofs.map((p) => decodeJwt(p).jti)).size, 3);
    for (const proof of proofs) await verify(proof, { method: "POST", urls: [methodUrl], accessToken: "t" });
    await assert.rejects(verify(proofs[0], { method: "POST", urls: [methodUrl], accessToken: "t" }), DpopProofError);
  });

  test("a proof bound to another token, or for another method, is refused", async () => {
    const verify = createDpopProofVerifier();
    await assert.rejects(verify(signDpopProof(key, { method: "POST", url: methodUrl, accessToken: "a" }), { method: "POST", urls: [methodUrl], accessToken: "b" }), /ath/);
    await assert.rejects(verify(signDpopProof(key, { method: "POST", url: methodUrl, accessToken: "a" }), { method: "POST", urls: [methodUrl.replace("ListNotes", "DeleteNote")], accessToken: "a" }), /htu/);
  });
});

test("jwkThumbprint is RFC 7638's SHA-256 thumbprint", async () => {
  assert.equal(jwkThumbprint(key.publicJwk), await calculateJwkThumbprint({ ...key.publicJwk }, "sha256"));
  assert.equal(key.thumbprint, jwkThumbprint(key.publicJwk));
});
