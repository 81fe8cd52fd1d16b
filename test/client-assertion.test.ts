/**
 * private_key_jwt (RFC 7523, issue 14 §2) against a real auth provider: a
 * client registered with `auth-admin client add --key-out` gets tokens with
 * assertions signed by that key (form or JSON body, with or without client_id,
 * aud the token endpoint or the issuer), and every refusal is 401
 * invalid_client with a description a person understands: replayed, expired,
 * far-future, signed by another key, a client without a key, an unknown
 * client (the same words as a wrong key), a contradicting client_id. Mixing
 * an assertion with a secret is invalid_request. Failed assertions count
 * toward the failed-authentication throttle like wrong secrets.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeJwt, generateKeyPair, type CryptoKey } from "jose";
import { basicAuthorization, startAuthReplica, type AuthReplica, type TokenAnswer } from "./support/auth-provider.js";
import { announcedIssuer, authAdmin, jwtBearer, postToAuth, readPrivateKey, signAssertion, tokenRequest } from "./support/oauth-client.js";

let provider: AuthReplica;
let issuer: string;
let tokenEndpoint: string;
let reporterKey: CryptoKey;
let keylessSecret: string;

const env = () => ({ DATA_DIR: provider.dataDir });

function assertInvalidClient(answer: TokenAnswer, description: RegExp): void {
  assert.equal(answer.status, 401, answer.text);
  assert.equal(answer.json?.["error"], "invalid_client", answer.text);
  assert.match(String(answer.json?.["error_description"]), description);
  assert.equal(answer.headers.get("www-authenticate"), null, "no Basic challenge for an assertion");
}

const byAssertion = async (claims: Parameters<typeof signAssertion>[3] = {}, clientId = "reporter", key = reporterKey) => ({
  assertion: await signAssertion(key, clientId, tokenEndpoint, claims),
});

before(async () => {
  // Failed assertions below would otherwise throttle this address; the throttle has its own provider further down.
  provider = await startAuthReplica({ AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "1000", AUTH_FAILED_AUTH_LIMIT_PER_ADDRESS: "1000" });
  issuer = announcedIssuer(provider.server.logs());
  tokenEndpoint = `${issuer}/oauth/token`;
  const keyFile = join(provider.dataDir, "reporter.pem");
  await authAdmin(env(), "client", "add", "reporter", "--grant", "note-service:note.read", "--key-out", keyFile);
  reporterKey = await readPrivateKey(keyFile);
  const keyless = await authAdmin(env(), "client", "add", "keyless", "--grant", "note-service:note.read");
  keylessSecret = String(keyless["clientSecret"]);
});

after(async () => {
  await provider?.close();
});

describe("private_key_jwt: accepted", () => {
  it("gets a token with an assertion signed by the registered key (form body), for this client's grants", async () => {
    const answer = await tokenRequest(provider.server.url, await byAssertion());
    assert.equal(answer.status, 200, answer.text);
    const claims = decodeJwt(String(answer.json!["access_token"]));
    assert.equal(claims.sub, "reporter");
    assert.deepEqual(claims.aud, ["note-service"]);
  });

  it("takes a JSON body, a matching client_id, and aud the issuer or a list holding the token endpoint", async () => {
    const fields = { grant_type: "client_credentials", audience: "note-service", scope: "note.read" };
    const cases = [
      { ...(await byAssertion()), clientId: "reporter" },
      await byAssertion({ aud: issuer }),
      await byAssertion({ aud: ["https://elsewhere.example/token", tokenEndpoint] }),
    ];
    for (const auth of cases) {
      const answer = await postToAuth(provider.server.url, "/oauth/token", fields, auth, "json");
      assert.equal(answer.status, 200, answer.text);
    }
  });
});

describe("private_key_jwt: refused", () => {
  it("refuses a replayed assertion (its jti was used)", async () => {
    const auth = await byAssertion();
    assert.equal((await tokenRequest(provider.server.url, auth)).status, 200);
    assertInvalidClient(await tokenRequest(provider.server.url, auth), /^the client assertion was already used \(jti replay\)/);
  });

  it("refuses an expired assertion", async () => {
    const now = Math.floor(Date.now() / 1000);
    assertInvalidClient(
      await tokenRequest(provider.server.url, await byAssertion({ iat: now - 600, exp: now - 120 })),
      /^the client assertion has expired \(exp is 1[12]\d s in the past\)/,
    );
  });

  it("refuses an assertion that expires more than 5 minutes ahead", async () => {
    const now = Math.floor(Date.now() / 1000);
    assertInvalidClient(
      await tokenRequest(provider.server.url, await byAssertion({ exp: now + 3600 })),
      /^the client assertion expires too far ahead: at most 300 s/,
    );
  });

  it("refuses an assertion for another audience, or without a jti", async () => {
    assertInvalidClient(await tokenRequest(provider.server.url, await byAssertion({ aud: "https://elsewhere.example/token" })), /must have aud set to the token endpoint URL/);
    assertInvalidClient(await tokenRequest(provider.server.url, await byAssertion({ jti: undefined })), /must have a jti/);
  });

  it("says the same for another key, a client without a key and an unknown client", async () => {
    const { privateKey: stranger } = await generateKeyPair("ES256");
    const cases: [string, string, CryptoKey][] = [
      ["signed by another key", "reporter", stranger],
      ["a client registered without a key", "keyless", reporterKey],
      ["an unknown client", "nobody", reporterKey],
    ];
    const descriptions: string[] = [];
    for (const [name, clientId, key] of cases) {
      const answer = await tokenRequest(provider.server.url, await byAssertion({}, clientId, key));
      assertInvalidClient(answer, new RegExp(`^the client assertion is not signed by the key registered for client '${clientId}'`));
      descriptions.push(String(answer.json!["error_description"]).replace(`'${clientId}'`, "'ID'"));
      assert.ok(descriptions.every((d) => d === descriptions[0]), `${name}: the same words`);
    }
    // The keyless client's secret still works: only its assertion was refused.
    assert.equal((await tokenRequest(provider.server.url, { basic: { clientId: "keyless", secret: keylessSecret } })).status, 200);
  });

  it("refuses an HS256 (shared-key) assertion", async () => {
    const hs = await signAssertion(new Uint8Array(32), "reporter", tokenEndpoint, {}, "HS256");
    assertInvalidClient(await tokenRequest(provider.server.url, { assertion: hs }), /must be signed with an asymmetric algorithm .* not 'HS256'/);
  });

  it("refuses a client_id that contradicts the assertion, and an assertion whose iss and sub differ", async () => {
    assertInvalidClient(await tokenRequest(provider.server.url, { ...(await byAssertion()), clientId: "keyless" }), /client_id does not match the client assertion/);
    assertInvalidClient(await tokenRequest(provider.server.url, await byAssertion({ iss: "keyless" })), /must have iss and sub, both set to the client id/);
  });

  it("refuses an assertion mixed with a secret or with HTTP Basic (invalid_request)", async () => {
    const fields = { grant_type: "client_credentials", audience: "note-service", scope: "note.read" };
    const { assertion } = await byAssertion();
    const withSecret = await postToAuth(provider.server.url, "/oauth/token", { ...fields, client_secret: keylessSecret }, { assertion });
    const withBasic = await fetch(`${provider.server.url}/auth/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuthorization("keyless", keylessSecret) },
      body: new URLSearchParams({ ...fields, client_assertion_type: jwtBearer, client_assertion: assertion }),
    });
    assert.equal(withSecret.status, 400, withSecret.text);
    assert.equal(withSecret.json?.["error"], "invalid_request");
    assert.match(String(withSecret.json?.["error_description"]), /use one client authentication method/);
    assert.equal(withBasic.status, 400);
  });

  it("refuses an unsupported client_assertion_type", async () => {
    const fields = { grant_type: "client_credentials", audience: "note-service", scope: "note.read" };
    const { assertion } = await byAssertion();
    const answer = await postToAuth(provider.server.url, "/oauth/token", fields, { fields: { client_assertion_type: "urn:example:saml", client_assertion: assertion } });
    assertInvalidClient(answer, /client_assertion_type 'urn:example:saml' is not supported/);
  });
});

describe("private_key_jwt: failed assertions are throttled like wrong secrets", () => {
  let limited: AuthReplica;
  before(async () => {
    limited = await startAuthReplica({ AUTH_FAILED_AUTH_WINDOW_SECONDS: "2" });
  });
  after(async () => {
    await limited?.close();
  });

  it("answers 429 slow_down after 5 bad assertions for one client from one address", async () => {
    const endpoint = `${announcedIssuer(limited.server.logs())}/oauth/token`;
    const { privateKey: stranger } = await generateKeyPair("ES256");
    for (let i = 0; i < 5; i++) {
      const answer = await tokenRequest(limited.server.url, { assertion: await signAssertion(stranger, "assistant", endpoint) });
      assert.equal(answer.status, 401, answer.text);
    }
    const throttled = await tokenRequest(limited.server.url, { assertion: await signAssertion(stranger, "assistant", endpoint) });
    assert.equal(throttled.status, 429, throttled.text);
    assert.equal(throttled.json?.["error"], "slow_down");
    assert.match(String(throttled.json?.["error_description"]), /^too many failed client authentications for this client from this address/);
    assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
  });
});
