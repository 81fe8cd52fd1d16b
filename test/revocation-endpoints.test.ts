/**
 * Revocation and introspection (RFC 7009, RFC 7662, issue 14 §4) against a
 * real auth provider: a client revokes and introspects its own tokens with any
 * client authentication (Basic, body secret, private_key_jwt; form or JSON),
 * never another client's (revoke: 400 unauthorized_client; introspect:
 * active false); invalid, expired and foreign tokens are "nothing to do"
 * (200) and inactive. A revoked token shows up in GET /auth/oauth/revocations
 * within a second, served with a weak ETag, 304 for If-None-Match and
 * Cache-Control no-cache; disabling a client lists it there, and its old
 * tokens stay inactive after it is enabled again.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeJwt, type CryptoKey } from "jose";
import { parseRevocationList, revocationListPath, type RevocationListDocument } from "../common/revocation-list.js";
import { startAuthReplica, type AuthReplica, type TokenAnswer } from "./support/auth-provider.js";
import { accessToken, announcedIssuer, authAdmin, postToAuth, readPrivateKey, signAssertion, type ClientAuth } from "./support/oauth-client.js";
import { accessClaims, signWithForeignKey, signWithIssuerKey } from "./support/tokens.js";

let provider: AuthReplica;
let issuer: string;
const secrets: Record<string, string> = {};
let keyedKey: CryptoKey;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const env = () => ({ DATA_DIR: provider.dataDir });
const basic = (clientId: string): ClientAuth => ({ basic: { clientId, secret: secrets[clientId]! } });
const keyed = async (): Promise<ClientAuth> => ({ assertion: await signAssertion(keyedKey, "keyed", `${issuer}/oauth/token`) });

const revoke = (auth: ClientAuth, token: string, encoding: "form" | "json" = "form", hint?: string) =>
  postToAuth(provider.server.url, "/oauth/revoke", { token, ...(hint ? { token_type_hint: hint } : {}) }, auth, encoding);
const introspect = (auth: ClientAuth, token: string, encoding: "form" | "json" = "form") =>
  postToAuth(provider.server.url, "/oauth/introspect", { token }, auth, encoding);

async function activeOf(auth: ClientAuth, token: string): Promise<Record<string, unknown>> {
  const answer = await introspect(auth, token);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers.get("cache-control"), "no-store");
  return answer.json!;
}

function assertRevokedOk(answer: TokenAnswer): void {
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.text, "", "an empty body");
  assert.equal(answer.headers.get("cache-control"), "no-store");
}

async function revocationList(headers: Record<string, string> = {}): Promise<{ response: Response; document?: RevocationListDocument }> {
  const response = await fetch(`${provider.server.url}/auth${revocationListPath}`, { headers });
  return response.status === 200 ? { response, document: (await response.json()) as RevocationListDocument } : { response };
}

// Waits until the published list satisfies check; returns how long that took.
async function listedWithin(check: (document: RevocationListDocument) => boolean, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { document } = await revocationList();
    if (document !== undefined && check(document)) return Date.now() - started;
    if (Date.now() - started > limitMs) assert.fail(`not in the revocation list within ${limitMs} ms: ${JSON.stringify(document)}`);
    await sleep(50);
  }
}

before(async () => {
  provider = await startAuthReplica({});
  issuer = announcedIssuer(provider.server.logs());
  for (const clientId of ["reader", "other", "sleeper"]) {
    const added = await authAdmin(env(), "client", "add", clientId, "--grant", "note-service:note.read");
    secrets[clientId] = String(added["clientSecret"]);
  }
  const keyFile = join(provider.dataDir, "keyed.pem");
  await authAdmin(env(), "client", "add", "keyed", "--grant", "note-service:note.read", "--key-out", keyFile);
  keyedKey = await readPrivateKey(keyFile);
});

after(async () => {
  await provider?.close();
});

describe("introspection", () => {
  it("describes the client's own active token (RFC 7662 §2.2)", async () => {
    const token = await accessToken(provider.server.url, basic("reader"));
    const claims = decodeJwt(token);
    assert.deepEqual(await activeOf(basic("reader"), token), {
      active: true,
      scope: "note.read",
      client_id: "reader",
      sub: "reader",
      aud: ["note-service"],
      iss: issuer,
      exp: claims.exp,
      iat: claims.iat,
      nbf: claims.nbf,
      jti: claims.jti,
      token_type: "Bearer",
    });
  });

  it("takes every client authentication method and JSON bodies", async () => {
    const token = await accessToken(provider.server.url, await keyed());
    assert.equal((await activeOf(await keyed(), token))["active"], true, "private_key_jwt");
    const answer = await introspect({ post: { clientId: "reader", secret: secrets["reader"]! } }, await accessToken(provider.server.url, basic("reader")), "json");
    assert.equal(answer.json?.["active"], true, "client_secret_post, JSON body");
  });

  it("answers only {active: false} for another client's token, and for invalid, expired and foreign tokens", async () => {
    const othersToken = await accessToken(provider.server.url, basic("other"));
    const now = Math.floor(Date.now() / 1000);
    const expired = await signWithIssuerKey(provider.dataDir, accessClaims(issuer, "note-service", ["note.read"], { sub: "reader", client_id: "reader", iat: now - 7200, nbf: now - 7200, exp: now - 3600 }));
    const wrongIssuer = await signWithIssuerKey(provider.dataDir, accessClaims("http://elsewhere/auth", "note-service", ["note.read"], { sub: "reader", client_id: "reader" }));
    const foreign = await signWithForeignKey(accessClaims(issuer, "note-service", ["note.read"], { sub: "reader", client_id: "reader" }));
    for (const [name, token] of [["another client's", othersToken], ["garbage", "not-a-token"], ["expired", expired], ["another issuer's", wrongIssuer], ["foreign-signed", foreign]]) {
      assert.deepEqual(await activeOf(basic("reader"), token!), { active: false }, name!);
    }
    assert.equal((await activeOf(basic("other"), othersToken))["active"], true, "its own client sees it active");
  });
});

describe("revocation", () => {
  it("revokes the client's own token: inactive at introspection, listed in the revocation list within 1 s", async () => {
    const token = await accessToken(provider.server.url, basic("reader"));
    const { jti, exp } = decodeJwt(token);
    assertRevokedOk(await revoke(basic("reader"), token, "form", "access_token"));
    assert.deepEqual(await activeOf(basic("reader"), token), { active: false });
    const tookMs = await listedWithin((doc) => doc.tokens.some((t) => t.jti === jti && t.exp === exp), 1500);
    assert.ok(tookMs <= 1100, `listed after ${tookMs} ms`);
    assertRevokedOk(await revoke(basic("reader"), token)); // again: nothing to do
  });

  it("revokes with private_key_jwt and a JSON body", async () => {
    const token = await accessToken(provider.server.url, await keyed());
    assertRevokedOk(await revoke(await keyed(), token, "json"));
    assert.deepEqual(await activeOf(await keyed(), token), { active: false });
  });

  it("answers 200 for an invalid, expired or unknown token (RFC 7009 §2.2)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signWithIssuerKey(provider.dataDir, accessClaims(issuer, "note-service", ["note.read"], { sub: "reader", client_id: "reader", exp: now - 60 }));
    for (const token of ["not-a-token", expired, await signWithForeignKey(accessClaims(issuer, "note-service", ["note.read"]))]) {
      assertRevokedOk(await revoke(basic("reader"), token, "form", "refresh_token"));
    }
  });

  it("refuses to revoke another client's token: 400 unauthorized_client, and the token stays active", async () => {
    const othersToken = await accessToken(provider.server.url, basic("other"));
    const answer = await revoke(basic("reader"), othersToken);
    assert.equal(answer.status, 400, answer.text);
    assert.deepEqual(answer.json, { error: "unauthorized_client", error_description: "the token was not issued to this client; a client may revoke only its own tokens" });
    assert.equal((await activeOf(basic("other"), othersToken))["active"], true);
  });

  it("requires client authentication and the token parameter, and POST", async () => {
    const noToken = await revoke(basic("reader"), "");
    assert.equal(noToken.status, 400);
    assert.match(String(noToken.json?.["error_description"]), /token is missing/);
    const unauthenticated = await postToAuth(provider.server.url, "/oauth/introspect", { token: "x" }, { fields: {} });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.json?.["error"], "invalid_client");
    const wrongSecret = await revoke({ basic: { clientId: "reader", secret: "wrong-secret-wrong-secret" } }, "x");
    assert.equal(wrongSecret.status, 401);
    for (const path of ["/oauth/revoke", "/oauth/introspect"]) {
      const response = await fetch(`${provider.server.url}/auth${path}`);
      assert.equal(response.status, 405, path);
      assert.equal(response.headers.get("allow"), "POST");
    }
  });
});

describe("the published revocation list", () => {
  it("is public JSON in the documented format, with Cache-Control no-cache and a weak ETag", async () => {
    const { response, document } = await revocationList();
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.match(response.headers.get("etag") ?? "", /^W\/"[A-Za-z0-9_-]+"$/);
    assert.equal(document!.issuer, issuer);
    assert.ok(Math.abs(document!.generated_at - Date.now() / 1000) < 120);
    parseRevocationList(document); // the services' parser reads it
  });

  it("answers 304 for If-None-Match with the current ETag, and a new ETag once something is revoked", async () => {
    const first = (await revocationList()).response;
    const etag = first.headers.get("etag")!;
    const unchanged = await fetch(`${provider.server.url}/auth${revocationListPath}`, { headers: { "if-none-match": etag } });
    assert.equal(unchanged.status, 304);
    assert.equal(await unchanged.text(), "");
    assert.equal(unchanged.headers.get("etag"), etag);

    const token = await accessToken(provider.server.url, basic("reader"));
    assertRevokedOk(await revoke(basic("reader"), token));
    const started = Date.now();
    for (;;) {
      const polled = await fetch(`${provider.server.url}/auth${revocationListPath}`, { headers: { "if-none-match": etag } });
      if (polled.status === 200) {
        assert.notEqual(polled.headers.get("etag"), etag);
        const doc = (await polled.json()) as RevocationListDocument;
        assert.ok(doc.tokens.some((t) => t.jti === decodeJwt(token).jti));
        break;
      }
      assert.equal(polled.status, 304);
      if (Date.now() - started > 1500) assert.fail("the ETag did not change within 1.5 s of a revocation");
      await sleep(50);
    }
  });

  it("lists a disabled client; its old tokens stay inactive once it is enabled again, new ones are active", async () => {
    const old = await accessToken(provider.server.url, basic("sleeper"));
    assert.equal((await activeOf(basic("sleeper"), old))["active"], true);
    await authAdmin(env(), "client", "disable", "sleeper");
    await listedWithin((doc) => doc.clients.some((c) => c.client_id === "sleeper" && c.tokens_issued_before > decodeJwt(old).iat!), 1500);
    const refused = await introspect(basic("sleeper"), old);
    assert.equal(refused.status, 401, "a disabled client cannot authenticate");
    await authAdmin(env(), "client", "enable", "sleeper");
    await sleep(1100); // tokens issued in the second of disabling count as issued before it
    assert.deepEqual(await activeOf(basic("sleeper"), old), { active: false }, "revoked by disabling");
    const fresh = await accessToken(provider.server.url, basic("sleeper"));
    assert.equal((await activeOf(basic("sleeper"), fresh))["active"], true);
  });

  it("answers other methods with 405", async () => {
    const response = await fetch(`${provider.server.url}/auth${revocationListPath}`, { method: "POST" });
    assert.equal(response.status, 405);
  });
});
