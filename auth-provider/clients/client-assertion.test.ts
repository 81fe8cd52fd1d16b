/** Unit tests of private_key_jwt assertions (RFC 7523), table-driven, with a frozen clock and an in-memory replay guard. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from "jose";
import { algorithmsForKey, assertedClientId, verifyClientAssertion, type ClientAssertionOptions } from "./client-assertion.js";
import type { ClientRecord } from "./client-record.js";
import { readPresentedCredentials } from "./client-authentication.js";
import { OAuthError } from "../token/oauth-error.js";

const issuer = "http://localhost:3001/auth";
const tokenEndpointUrl = `${issuer}/oauth/token`;
const nowMs = Date.UTC(2030, 0, 1);
const now = Math.floor(nowMs / 1000);
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

let privateKey: CryptoKey;
let otherKey: CryptoKey;
let publicJwk: JWK;

function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: "reporter",
    grants: [{ audience: "note-service", scopes: ["note.read"] }],
    grantTypes: ["client_credentials"],
    tokenTtlSeconds: undefined,
    maxTokensPerMinute: undefined,
    hasSecret: false,
    previousSecretValidUntil: undefined,
    publicJwk,
    tlsClientAuthSubjectDn: undefined,
    requireDpop: false,
    disabled: false,
    createdAt: "2030-01-01T00:00:00.000Z",
    updatedAt: "2030-01-01T00:00:00.000Z",
    ...overrides,
  };
}

function options(): ClientAssertionOptions & { seen: Set<string> } {
  const seen = new Set<string>();
  return {
    issuer,
    tokenEndpointUrl,
    now: () => nowMs,
    seen,
    replayGuard: {
      async useOnce(clientId, jti) {
        const key = `${clientId} ${jti}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      },
    },
  };
}

function sign(claims: JWTPayload, key: CryptoKey = privateKey, alg = "ES256"): Promise<string> {
  return new SignJWT({ iss: "reporter", sub: "reporter", aud: tokenEndpointUrl, exp: now + 60, iat: now, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg })
    .sign(key);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OAuthError, String(err));
    assert.equal(err.code, "invalid_client");
    assert.equal(err.status, 401);
    return err.description;
  }
  assert.fail("accepted");
}

before(async () => {
  // The registered key is the public half of privateKey.
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "k1" };
  otherKey = (await generateKeyPair("ES256")).privateKey;
});

describe("verifyClientAssertion", () => {
  it("accepts a good assertion once, with aud the token endpoint or the issuer (string or array)", async () => {
    const opts = options();
    for (const aud of [tokenEndpointUrl, issuer, ["x", issuer]]) {
      const accepted = await verifyClientAssertion(await sign({ aud }), "reporter", client(), opts);
      assert.equal(accepted.clientId, "reporter");
    }
    assert.equal(opts.seen.size, 3);
  });

  it("refuses a replayed jti", async () => {
    const opts = options();
    const assertion = await sign({});
    await verifyClientAssertion(assertion, "reporter", client(), opts);
    assert.match(await refusal(verifyClientAssertion(assertion, "reporter", client(), opts)), /was already used \(jti replay\)/);
  });

  const claimCases: [string, JWTPayload, RegExp][] = [
    ["expired", { exp: now - 31 }, /^the client assertion has expired \(exp is 31 s in the past\)/],
    ["far-future", { exp: now + 3600 }, /^the client assertion expires too far ahead: at most 300 s \(its exp is 3600 s from now\)$/],
    ["without exp", { exp: undefined }, /must have exp/],
    ["not valid yet", { nbf: now + 120 }, /has a nbf 120 s in the future/],
    ["issued in the future", { iat: now + 120 }, /has a iat 120 s in the future: check the client's clock/],
    ["without jti", { jti: undefined }, /must have a jti/],
    ["for another server", { aud: "http://elsewhere/token" }, /must have aud set to the token endpoint URL http:\/\/localhost:3001\/auth\/oauth\/token or the issuer/],
  ];
  for (const [name, claims, description] of claimCases) {
    it(`refuses an assertion ${name}`, async () => {
      assert.match(await refusal(verifyClientAssertion(await sign(claims), "reporter", client(), options())), description);
    });
  }

  it("allows 30 s of clock skew around exp, nbf and iat", async () => {
    const opts = options();
    await verifyClientAssertion(await sign({ exp: now - 29, nbf: now + 29, iat: now + 29 }), "reporter", client(), opts);
    await verifyClientAssertion(await sign({ exp: now + 329 }), "reporter", client(), opts);
  });

  it("says the same for a wrong key, an unknown client, a client without a key, a disabled client and an alg the key does not suit", async () => {
    const notSigned = /^the client assertion is not signed by the key registered for client 'reporter'/;
    const good = await sign({});
    const es384 = await sign({}, (await generateKeyPair("ES384")).privateKey, "ES384");
    const byOtherKey = await sign({}, otherKey);
    const cases: [string, () => Promise<unknown>][] = [
      ["another key", () => verifyClientAssertion(byOtherKey, "reporter", client(), options())],
      ["unknown client", () => verifyClientAssertion(good, "reporter", undefined, options())],
      ["no key", () => verifyClientAssertion(good, "reporter", client({ publicJwk: undefined }), options())],
      ["disabled", () => verifyClientAssertion(good, "reporter", client({ disabled: true }), options())],
      ["ES384 for a P-256 key", () => verifyClientAssertion(es384, "reporter", client(), options())],
    ];
    for (const [name, attempt] of cases) assert.match(await refusal(attempt()), notSigned, name);
  });

  it("refuses symmetric and unsigned assertions before looking at the client", async () => {
    const hs = await new SignJWT({ iss: "reporter", sub: "reporter" }).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32));
    assert.match(await refusal(verifyClientAssertion(hs, "reporter", client(), options())), /must be signed with an asymmetric algorithm .* not 'HS256'/);
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"iss":"reporter","sub":"reporter"}').toString("base64url")}.`;
    assert.match(await refusal(verifyClientAssertion(none, "reporter", client(), options())), /not 'none'/);
  });
});

describe("assertedClientId and readPresentedCredentials", () => {
  it("reads the client id from sub when iss agrees", async () => {
    assert.equal(assertedClientId(await sign({})), "reporter");
    assert.throws(() => assertedClientId("not-a-jwt"), (err: unknown) => err instanceof OAuthError && /is not a JWT/.test(err.description));
  });

  it("refuses iss and sub that differ", async () => {
    const assertion = await sign({ iss: "reporter", sub: "someone-else" });
    assert.throws(() => assertedClientId(assertion), (err: unknown) => err instanceof OAuthError && err.code === "invalid_client" && /iss and sub/.test(err.description));
  });

  it("takes an assertion with or without a matching client_id", async () => {
    const assertion = await sign({});
    for (const clientId of [undefined, "reporter"]) {
      const credentials = readPresentedCredentials(undefined, { clientId, clientAssertionType: assertionType, clientAssertion: assertion });
      assert.deepEqual(credentials, { method: "private_key_jwt", clientId: "reporter", assertion });
    }
  });

  it("refuses a contradicting client_id, a missing or unknown type, a missing assertion, and mixing methods", async () => {
    const assertion = await sign({});
    const basic = `Basic ${Buffer.from("reporter:s3cret").toString("base64")}`;
    const cases: [string, string | undefined, Record<string, string>, string, RegExp][] = [
      ["another client_id", undefined, { clientId: "other", clientAssertionType: assertionType, clientAssertion: assertion }, "invalid_client", /client_id does not match/],
      ["no type", undefined, { clientAssertion: assertion }, "invalid_client", /client_assertion_type is missing/],
      ["another type", undefined, { clientAssertionType: "urn:x", clientAssertion: assertion }, "invalid_client", /'urn:x' is not supported/],
      ["no assertion", undefined, { clientAssertionType: assertionType }, "invalid_client", /client_assertion is missing/],
      ["with Basic", basic, { clientAssertionType: assertionType, clientAssertion: assertion }, "invalid_request", /use one client authentication method/],
      ["with a secret", undefined, { clientSecret: "s3cret", clientAssertionType: assertionType, clientAssertion: assertion }, "invalid_request", /use one client authentication method/],
    ];
    for (const [name, header, body, code, description] of cases) {
      assert.throws(
        () => readPresentedCredentials(header, body),
        (err: unknown) => err instanceof OAuthError && err.code === code && description.test(err.description),
        name,
      );
    }
  });
});

describe("algorithmsForKey", () => {
  it("suits the algorithm to the key type and curve, and to the key's own alg", () => {
    assert.deepEqual(algorithmsForKey({ kty: "EC", crv: "P-256" }), ["ES256"]);
    assert.deepEqual(algorithmsForKey({ kty: "EC", crv: "P-521" }), ["ES512"]);
    assert.deepEqual(algorithmsForKey({ kty: "RSA", alg: "PS256" }), ["PS256"]);
    assert.deepEqual(algorithmsForKey({ kty: "OKP", crv: "Ed25519" }), ["EdDSA", "Ed25519"]);
    assert.deepEqual(algorithmsForKey({ kty: "OKP", crv: "X25519" }), []);
    assert.deepEqual(algorithmsForKey({ kty: "oct" }), []);
  });
});
