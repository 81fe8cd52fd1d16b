/** Unit tests of token minting with a frozen clock. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type CryptoKey } from "jose";
import { createAccessTokenSigner } from "./access-token-signer.js";
import { createIssuerKeysFile } from "../keys/key-file-format.js";
import { publicJwk } from "../keys/key-ring.js";

describe("access token signer", () => {
  it("signs the specified header and claims at the given time", async () => {
    const file = await createIssuerKeysFile();
    const stored = file.signingKeys[0]!;
    const privateKey = (await importJWK(stored.privateJwk, "ES256")) as CryptoKey;
    const now = Date.UTC(2030, 0, 1) + 999;
    const signer = createAccessTokenSigner({
      issuer: "http://localhost:3001/auth",
      key: { kid: stored.kid, alg: "ES256", privateKey },
      now: () => now,
    });
    const signed = await signer.sign({
      clientId: "assistant",
      audience: "calendar-service",
      scopes: ["calendar.read"],
      ttlSeconds: 600,
    });
    assert.equal(signed.expiresIn, 600);
    assert.deepEqual(decodeProtectedHeader(signed.accessToken), { alg: "ES256", kid: stored.kid, typ: "JWT" });
    const iat = Math.floor(now / 1000);
    assert.deepEqual(decodeJwt(signed.accessToken), {
      client_id: "assistant",
      scp: ["calendar.read"],
      iss: "http://localhost:3001/auth",
      sub: "assistant",
      aud: ["calendar-service"],
      iat,
      nbf: iat,
      exp: iat + 600,
      jti: signed.tokenId,
    });
    const keySet = createLocalJWKSet({ keys: [publicJwk(stored)] });
    await jwtVerify(signed.accessToken, keySet, { currentDate: new Date(now), audience: "calendar-service" });
  });

  it("publishes no private key part", async () => {
    const file = await createIssuerKeysFile();
    const jwk = publicJwk(file.signingKeys[0]!);
    assert.deepEqual(Object.keys(jwk).sort(), ["alg", "crv", "kid", "kty", "use", "x", "y"]);
  });
});
