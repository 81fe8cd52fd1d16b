/** Unit tests of the ES256 signer: what it signs verifies with jose, with the header and claims given. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compactVerify, importJWK, type CryptoKey } from "jose";
import { createEs256JwsSigner } from "./es256-jws.js";
import { createIssuerKeysFile } from "../keys/key-file-format.js";
import { publicJwk } from "../keys/key-ring.js";

describe("ES256 JWS signer", () => {
  it("signs a compact JWS that jose verifies with the key's public JWK, header {alg, kid, typ}", async () => {
    const stored = (await createIssuerKeysFile()).signingKeys[0]!;
    const key = { kid: stored.kid, alg: "ES256" as const, privateKey: (await importJWK(stored.privateJwk, "ES256")) as CryptoKey };
    const sign = createEs256JwsSigner();
    const claims = { sub: "assistant", scp: ["note.read"], note: "é ✓" };
    for (const token of await Promise.all([sign(key, claims), sign(key, claims)])) {
      const { payload, protectedHeader } = await compactVerify(token, await importJWK(publicJwk(stored), "ES256"));
      assert.deepEqual(protectedHeader, { alg: "ES256", kid: stored.kid, typ: "JWT" });
      assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), claims);
      assert.equal(token.split(".")[2]!.length, 86, "64 bytes of r || s, base64url");
    }
  });
});
