/**
 * The credential lifecycle across two auth provider replicas on one
 * PostgreSQL (issue 14 §2, §4, §5): a client assertion used at one replica is
 * refused as a replay at the other; a client's token budget is counted across
 * both; a token revoked at one replica appears in the other's revocation list
 * within 2 s and is inactive at its introspection; and while PostgreSQL is
 * down the revocation list stays served with its last known content (like the
 * JWKS), then follows new revocations again without a restart.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeJwt, type CryptoKey } from "jose";
import { revocationListPath, type RevocationListDocument } from "../common/revocation-list.js";
import { startAuthReplica, writeKeyEncryptionKeyFile, type AuthReplica } from "./support/auth-provider.js";
import { accessToken, authAdmin, postToAuth, readPrivateKey, signAssertion, tokenRequest, type ClientAuth } from "./support/oauth-client.js";
import { startTestPostgres, type TestPostgres } from "./support/postgres.js";
import { tempDataDir } from "./support/processes.js";

const issuer = "http://auth.lifecycle.test/auth";
let postgres: TestPostgres;
let work: { path: string; remove(): void };
let shared: Record<string, string>;
let a: AuthReplica;
let b: AuthReplica;
let signerKey: CryptoKey;
const secrets: Record<string, string> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const admin = (...args: string[]) => authAdmin({ ...shared, DATA_DIR: join(work.path, "admin-data") }, ...args);
const basic = (clientId: string): ClientAuth => ({ basic: { clientId, secret: secrets[clientId]! } });

async function revocationList(replica: AuthReplica): Promise<{ status: number; etag: string | null; document?: RevocationListDocument }> {
  const response = await fetch(`${replica.server.url}/auth${revocationListPath}`);
  const etag = response.headers.get("etag");
  return response.status === 200 ? { status: 200, etag, document: (await response.json()) as RevocationListDocument } : { status: response.status, etag };
}

async function listedAt(replica: AuthReplica, jti: string, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { document } = await revocationList(replica);
    if (document?.tokens.some((t) => t.jti === jti)) return Date.now() - started;
    if (Date.now() - started > limitMs) assert.fail(`${jti} not listed within ${limitMs} ms`);
    await sleep(50);
  }
}

// The budget counts per minute on the clock: start a run of requests early in a minute, so it does not straddle two.
async function earlyInAMinute(secondsNeeded: number): Promise<void> {
  const intoMinute = (Date.now() % 60_000) / 1000;
  if (intoMinute > 60 - secondsNeeded) await sleep((60 - intoMinute) * 1000 + 100);
}

before(async () => {
  postgres = await startTestPostgres();
  work = tempDataDir();
  shared = {
    DATABASE_URL: await postgres.createDatabase(),
    AUTH_KEY_ENCRYPTION_KEY_FILE: writeKeyEncryptionKeyFile(work.path),
    AUTH_ISSUER: issuer,
  };
  [a, b] = await Promise.all([startAuthReplica(shared), startAuthReplica(shared)]);
  const keyFile = join(work.path, "signer.pem");
  await admin("client", "add", "signer", "--grant", "note-service:note.read", "--key-out", keyFile);
  signerKey = await readPrivateKey(keyFile);
  for (const [clientId, extra] of [["metered", ["--max-tokens-per-minute", "4"]], ["revoker", []]] as const) {
    secrets[clientId] = String((await admin("client", "add", clientId, "--grant", "note-service:note.read", ...extra))["clientSecret"]);
  }
});

after(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await postgres?.stop();
  work?.remove();
});

describe("auth replicas on PostgreSQL: credentials", () => {
  it("refuses at one replica an assertion already used at the other (jti replay)", async () => {
    const assertion = await signAssertion(signerKey, "signer", `${issuer}/oauth/token`);
    assert.equal((await tokenRequest(a.server.url, { assertion })).status, 200);
    const replayed = await tokenRequest(b.server.url, { assertion });
    assert.equal(replayed.status, 401, replayed.text);
    assert.match(String(replayed.json?.["error_description"]), /^the client assertion was already used \(jti replay\)/);
  });

  it("counts a client's token budget across both replicas", async () => {
    await earlyInAMinute(15);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await tokenRequest((i % 2 === 0 ? a : b).server.url, basic("metered"))).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  });

  it("a token revoked at one replica is in the other's revocation list within 2 s, and inactive there", async () => {
    const token = await accessToken(a.server.url, basic("revoker"));
    const { jti } = decodeJwt(token);
    await revocationList(b); // B has read the list before the revocation
    const revoked = await postToAuth(a.server.url, "/oauth/revoke", { token }, basic("revoker"));
    assert.equal(revoked.status, 200, revoked.text);
    const tookMs = await listedAt(b, jti!, 2000);
    assert.ok(tookMs <= 2000, `took ${tookMs} ms`);
    const introspected = await postToAuth(b.server.url, "/oauth/introspect", { token }, basic("revoker"));
    assert.deepEqual(introspected.json, { active: false });
  });

  it("keeps serving the last known revocation list while PostgreSQL is down, and follows again after", async (t) => {
    if (postgres.pause === undefined) return t.skip("TEST_DATABASE_URL names a server this test cannot stop");
    const known = await Promise.all([revocationList(a), revocationList(b)]);
    await postgres.pause();
    try {
      await sleep(1500); // past the 1 s the list is reused: the replicas must try the database and fail
      for (const [i, replica] of [a, b].entries()) {
        const during = await revocationList(replica);
        assert.equal(during.status, 200, "served from memory");
        assert.equal(during.etag, known[i]!.etag);
        assert.deepEqual(during.document!.tokens, known[i]!.document!.tokens);
      }
      assert.ok(
        a.server.logs().some((l) => l["msg"] === "cannot read the revocations; serving the last known revocation list"),
        "the replica says so in its log",
      );
    } finally {
      await postgres.start!();
    }
    // After the outage new revocations reach the list again, without a restart.
    let token: string | undefined;
    for (const started = Date.now(); token === undefined; await sleep(200)) {
      const answer = await tokenRequest(a.server.url, basic("revoker"));
      if (answer.status === 200) token = String(answer.json!["access_token"]);
      else if (Date.now() - started > 15_000) assert.fail(`no token after the database came back: ${answer.text}`);
    }
    assert.equal((await postToAuth(a.server.url, "/oauth/revoke", { token }, basic("revoker"))).status, 200);
    await listedAt(b, decodeJwt(token).jti!, 2000);
  });
});
