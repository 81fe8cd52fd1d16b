/**
 * Secret rotation with overlap (issue 14 §3) at the token endpoint of a real
 * auth provider: after `auth-admin client rotate-secret ID --overlap D` both
 * the new and the old secret get tokens until the overlap ends, then the old
 * one is refused like any wrong secret; `client revoke-secret ID --old` ends
 * an overlap at once. Without --overlap the old secret stops at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startAuthReplica, type AuthReplica } from "./support/auth-provider.js";
import { authAdmin, tokenRequest } from "./support/oauth-client.js";

let provider: AuthReplica;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const env = () => ({ DATA_DIR: provider.dataDir });
const statusWith = async (clientId: string, secret: string) => (await tokenRequest(provider.server.url, { basic: { clientId, secret } })).status;

async function addClient(clientId: string): Promise<string> {
  return String((await authAdmin(env(), "client", "add", clientId, "--grant", "note-service:note.read"))["clientSecret"]);
}

async function rotate(clientId: string, ...options: string[]): Promise<{ secret: string; overlapEndsAt: string | null }> {
  const rotated = await authAdmin(env(), "client", "rotate-secret", clientId, ...options);
  return { secret: String(rotated["clientSecret"]), overlapEndsAt: (rotated["client"] as { overlapEndsAt: string | null }).overlapEndsAt };
}

before(async () => {
  provider = await startAuthReplica({ AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "1000", AUTH_FAILED_AUTH_LIMIT_PER_ADDRESS: "1000" });
});

after(async () => {
  await provider?.close();
});

describe("secret rotation with overlap", () => {
  it("the old secret works during the overlap and is refused (401 invalid_client) after it", async () => {
    const old = await addClient("rolling");
    const { secret: fresh, overlapEndsAt } = await rotate("rolling", "--overlap", "3s");
    assert.ok(overlapEndsAt !== null && Date.parse(overlapEndsAt) > Date.now());
    assert.equal(await statusWith("rolling", old), 200, "old secret during the overlap");
    assert.equal(await statusWith("rolling", fresh), 200, "new secret");
    await sleep(Math.max(0, Date.parse(overlapEndsAt) - Date.now()) + 300);
    const refused = await tokenRequest(provider.server.url, { basic: { clientId: "rolling", secret: old } });
    assert.equal(refused.status, 401, refused.text);
    assert.deepEqual(refused.json, { error: "invalid_client", error_description: "client authentication failed" });
    assert.equal(await statusWith("rolling", fresh), 200, "new secret after the overlap");
  });

  it("revoke-secret --old ends the overlap at once", async () => {
    const old = await addClient("cutover");
    const { secret: fresh } = await rotate("cutover", "--overlap", "1h");
    assert.equal(await statusWith("cutover", old), 200);
    await authAdmin(env(), "client", "revoke-secret", "cutover", "--old");
    assert.equal(await statusWith("cutover", old), 401, "old secret after revoke-secret --old");
    assert.equal(await statusWith("cutover", fresh), 200);
  });

  it("without --overlap the old secret stops at once", async () => {
    const old = await addClient("abrupt");
    const { secret: fresh, overlapEndsAt } = await rotate("abrupt");
    assert.equal(overlapEndsAt, null);
    assert.equal(await statusWith("abrupt", old), 401);
    assert.equal(await statusWith("abrupt", fresh), 200);
  });
});
