/**
 * End-to-end tests of successful token requests against a real auth-provider
 * process: both client authentication methods, both body types, the token's
 * header and claims, verification against the served JWKS, and the request log.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import {
  basicAuthorization,
  requestToken,
  startAuthProvider,
  type AuthProviderUnderTest,
  type TokenRequestBody,
} from "./support/auth-provider.js";

const goodFields = { grant_type: "client_credentials", audience: "calendar-service", scope: "calendar.read" };
const tokens: string[] = [];
let provider: AuthProviderUnderTest;

const assistantBasic = () => ({ authorization: basicAuthorization("assistant", provider.secrets["assistant"]!) });
const assistantPost = () => ({ client_id: "assistant", client_secret: provider.secrets["assistant"]! });

before(async () => {
  provider = await startAuthProvider([
    {
      clientId: "short-lived",
      grants: [{ audience: "calendar-service", scopes: ["calendar.read"] }],
      grantTypes: ["client_credentials"],
      tokenTtlSeconds: 120,
    },
  ]);
});

after(async () => {
  assert.equal(await provider?.close(), 0, "exits with 0 on SIGTERM");
});

describe("token endpoint: success", () => {
  const cases: [string, () => [TokenRequestBody, Record<string, string>]][] = [
    ["client_secret_basic, form body", () => [{ form: goodFields }, assistantBasic()]],
    ["client_secret_post, form body", () => [{ form: { ...goodFields, ...assistantPost() } }, {}]],
    ["client_secret_basic, JSON body", () => [{ json: goodFields }, assistantBasic()]],
    ["client_secret_post, JSON body", () => [{ json: { ...goodFields, ...assistantPost() } }, {}]],
    ["JSON audience array of one", () => [{ json: { ...goodFields, audience: ["calendar-service"] } }, assistantBasic()]],
    ["form with a charset", () => {
      const contentType = "application/x-www-form-urlencoded; charset=utf-8";
      return [{ raw: new URLSearchParams(goodFields).toString(), contentType }, assistantBasic()];
    }],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const [body, headers] = make();
      const answer = await requestToken(provider.server.url, body, headers);
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(answer.headers.get("cache-control"), "no-store");
      assert.equal(answer.headers.get("pragma"), "no-cache");
      assert.deepEqual(Object.keys(answer.json!).sort(), ["access_token", "expires_in", "scope", "token_type"]);
      assert.equal(answer.json!["token_type"], "bearer");
      assert.equal(answer.json!["expires_in"], 3600);
      assert.equal(answer.json!["scope"], "calendar.read");
      tokens.push(answer.json!["access_token"] as string);
    });
  }

  it("mints a token whose header and claims are exactly as specified and that verifies against the JWKS", async () => {
    const { server, issuer } = provider;
    const answer = await requestToken(
      server.url,
      { form: { grant_type: "client_credentials", audience: "note-service", scope: "note.write note.read note.write" } },
      assistantBasic(),
    );
    assert.equal(answer.status, 200, answer.text);
    const token = answer.json!["access_token"] as string;
    tokens.push(token);
    assert.equal(answer.json!["scope"], "note.write note.read", "in the order requested, without duplicates");

    const jwks = (await (await fetch(`${server.url}/auth/jwt/jwks.json`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(decodeProtectedHeader(token), { alg: "ES256", kid: jwks.keys[0]!.kid, typ: "JWT" });

    const claims = decodeJwt(token);
    assert.deepEqual(Object.keys(claims).sort(), ["aud", "client_id", "exp", "iat", "iss", "jti", "nbf", "scp", "sub"]);
    assert.equal(claims.iss, issuer);
    assert.equal(claims.sub, "assistant");
    assert.equal(claims["client_id"], "assistant");
    assert.deepEqual(claims.aud, ["note-service"]);
    assert.deepEqual(claims["scp"], ["note.write", "note.read"]);
    assert.equal(claims.nbf, claims.iat);
    assert.equal(claims.exp, claims.iat! + 3600);
    assert.ok(Math.abs(claims.iat! - Date.now() / 1000) < 60);
    assert.match(claims.jti!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const keySet = createRemoteJWKSet(new URL(`${server.url}/auth/jwt/jwks.json`));
    const verified = await jwtVerify(token, keySet, { issuer, audience: "note-service", algorithms: ["ES256"], typ: "JWT" });
    assert.equal(verified.payload.sub, "assistant");
    await assert.rejects(jwtVerify(token, keySet, { issuer, audience: "calendar-service" }), /aud/);
  });

  it("uses the client's own token lifetime when it has one", async () => {
    const answer = await requestToken(provider.server.url, { form: goodFields }, {
      authorization: basicAuthorization("short-lived", provider.secrets["short-lived"]!),
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json!["expires_in"], 120);
    const claims = decodeJwt(answer.json!["access_token"] as string);
    assert.equal(claims.exp, claims.iat! + 120);
    tokens.push(answer.json!["access_token"] as string);
  });

  it("gives each token its own jti", async () => {
    const answers = await Promise.all([1, 2].map(() => requestToken(provider.server.url, { form: goodFields }, assistantBasic())));
    const issued = answers.map((a) => a.json!["access_token"] as string);
    tokens.push(...issued);
    assert.notEqual(decodeJwt(issued[0]!).jti, decodeJwt(issued[1]!).jti);
  });
});

describe("request log", () => {
  it("writes one line per request, with client_id, and never a secret or a token", async () => {
    const { server, secrets } = provider;
    assert.equal(await server.stop(), 0, "exits with 0 on SIGTERM"); // all output has arrived once it has exited
    const requests = server.logs().filter((l) => l["msg"] === "request" && l["method"] === "POST");
    assert.ok(requests.length >= 10);
    for (const line of requests) {
      assert.equal(line["method"], "POST");
      assert.equal(line["path"], "/auth/oauth/token");
      assert.equal(line["status"], 200);
      assert.equal(line["client_id"] === "assistant" || line["client_id"] === "short-lived", true);
      assert.equal(typeof line["duration_ms"], "number");
    }
    const all = server.output.join("\n");
    assert.ok(tokens.length >= 10);
    for (const secret of Object.values(secrets)) assert.ok(!all.includes(secret), "a secret was logged");
    for (const token of tokens) assert.ok(!all.includes(token.split(".")[2]!), "a token was logged");
    assert.ok(!/Basic [A-Za-z0-9+/]{8}|"authorization"/i.test(all), "the Authorization header was logged");
  });
});
