/**
 * The audit trail (issue 16) against a real auth provider and auth-admin sharing the default file,
 * DATA_DIR/audit.jsonl: one JSON line per event, in order, for a client added, a token issued (secret and
 * private_key_jwt), a token refused (wrong secret), a revocation, a key rotation (and the provider seeing the new
 * key sign), a client disabled; the file has mode 0600, and neither it nor the logs hold any secret, assertion or
 * token the test used. An unwritable AUTH_AUDIT_LOG stops start-up with a line naming it.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { forbiddenAuditFields } from "../auth-provider/audit/audit-events.js";
import { startAuthReplica, type AuthReplica } from "./support/auth-provider.js";
import { runNode } from "./support/cli.js";
import { announcedIssuer, authAdmin, postToAuth, readPrivateKey, signAssertion, tokenRequest, type ClientAuth } from "./support/oauth-client.js";
import { tempDataDir } from "./support/processes.js";

let provider: AuthReplica;
let auditFile: string;
const used: string[] = []; // every secret, assertion and token the test sends or receives
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const env = () => ({ DATA_DIR: provider.dataDir });

type Line = Record<string, unknown> & { event: string; actor: string; subject: string; outcome: string };
const lines = (): Line[] =>
  readFileSync(auditFile, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);

// Waits until the trail has count lines (the provider writes asynchronously).
async function trailOf(count: number): Promise<Line[]> {
  for (let i = 0; i < 100 && lines().length < count; i++) await sleep(50);
  return lines();
}

before(async () => {
  provider = await startAuthReplica({});
  auditFile = join(provider.dataDir, "audit.jsonl");
});

after(async () => {
  await provider?.close();
});

describe("audit trail", () => {
  it("records each event in order, with its actor, subject, outcome and details", async () => {
    const url = provider.server.url;
    const added = await authAdmin(env(), "client", "add", "cron", "--grant", "note-service:note.read");
    const secret = String((added as { clientSecret?: unknown }).clientSecret);
    used.push(secret);
    const basic: ClientAuth = { basic: { clientId: "cron", secret } };

    const issued = await tokenRequest(url, basic);
    assert.equal(issued.status, 200);
    const token = String(issued.json!["access_token"]);
    used.push(token);

    const wrong = "wrong-secret-0123456789-wrong-secret";
    used.push(wrong);
    assert.equal((await tokenRequest(url, { basic: { clientId: "cron", secret: wrong } })).status, 401);

    await trailOf(3); // the provider's lines are on disk before auth-admin (another process) appends
    const keyFile = join(provider.dataDir, "keyed.pem");
    await authAdmin(env(), "client", "add", "keyed", "--grant", "note-service:note.read", "--key-out", keyFile);
    const assertion = await signAssertion(await readPrivateKey(keyFile), "keyed", `${announcedIssuer(provider.server.logs())}/oauth/token`);
    used.push(assertion);
    const keyedToken = await tokenRequest(url, { assertion });
    assert.equal(keyedToken.status, 200, keyedToken.text);
    used.push(String(keyedToken.json!["access_token"]));

    assert.equal((await postToAuth(url, "/oauth/revoke", { token }, basic)).status, 200);
    await trailOf(6);
    const rotated = await authAdmin(env(), "key", "rotate", "--activation-delay", "0");
    const kid = String(rotated["kid"]);
    assert.ok((await trailOf(8)).some((l) => l.event === "key.activated"), "the provider records the new key signing");
    await authAdmin(env(), "client", "disable", "cron");

    const trail = await trailOf(10);
    assert.deepEqual(
      trail.map((l) => `${l.event} ${l.actor.replace(/^auth-admin:.*/, "auth-admin")} ${l.subject} ${l.outcome}`),
      [
        "client.added auth-admin cron ok",
        "token.issued cron cron ok",
        "token.refused unauthenticated cron invalid_client",
        "client.added auth-admin keyed ok",
        "token.issued keyed keyed ok",
        "token.revoked cron cron ok",
        `key.rotated auth-admin ${kid} ok`,
        `key.activated auth-provider ${kid} ok`,
        "client.disabled auth-admin cron ok",
        "client.tokens_revoked auth-admin cron ok",
      ],
    );
    const [, tokenIssued, refused, , , revoked] = trail;
    assert.equal(tokenIssued!["audience"], "note-service");
    assert.deepEqual(tokenIssued!["scopes"], ["note.read"]);
    assert.equal(typeof tokenIssued!["jti"], "string");
    assert.equal(typeof tokenIssued!["exp"], "number");
    assert.match(String(tokenIssued!["address"]), /127\.0\.0\.1/);
    assert.equal(refused!["audience"], undefined);
    assert.equal(revoked!["jti"], tokenIssued!["jti"]);
    for (const line of trail) {
      assert.ok(!Number.isNaN(Date.parse(String(line["time"]))), line.event);
      assert.deepEqual(forbiddenAuditFields(line), [], JSON.stringify(line));
    }
  });

  it("is a private file, and neither it nor the logs hold any secret, assertion or token", () => {
    assert.equal(statSync(auditFile).mode & 0o777, 0o600);
    const assistantSecret = (JSON.parse(readFileSync(join(provider.dataDir, "clients.json"), "utf8")) as Record<string, { clientSecret?: string }>)["assistant"]?.clientSecret;
    const secrets = [...used, ...(assistantSecret ? [assistantSecret] : [])];
    assert.ok(secrets.length >= 6);
    const trail = readFileSync(auditFile, "utf8");
    const logs = provider.server.output.join("\n");
    for (const secret of secrets) {
      assert.ok(!trail.includes(secret), `the audit trail holds ${secret.slice(0, 8)}…`);
      assert.ok(!logs.includes(secret), `the logs hold ${secret.slice(0, 8)}…`);
    }
  });

  it("an unwritable AUTH_AUDIT_LOG stops start-up with a line naming it", async () => {
    const dataDir = tempDataDir();
    try {
      const blocker = join(dataDir.path, "not-a-directory");
      writeFileSync(blocker, "");
      const result = await runNode("auth-provider/main.js", [], {
        AUTH_PORT: "0",
        AUTH_HOST: "127.0.0.1",
        DATA_DIR: dataDir.path,
        AUTH_AUDIT_LOG: join(blocker, "audit.jsonl"),
      });
      assert.notEqual(result.code, 0);
      assert.match(result.stdout + result.stderr, /AUTH_AUDIT_LOG: cannot append to the audit trail/);
    } finally {
      dataDir.remove();
    }
  });

  it("AUTH_AUDIT_LOG=off writes no trail, and auth-admin follows the same setting", async () => {
    const server = await startAuthReplica({ AUTH_AUDIT_LOG: "off" });
    try {
      await authAdmin({ DATA_DIR: server.dataDir, AUTH_AUDIT_LOG: "off" }, "client", "add", "quiet", "--grant", "note-service:note.read");
      assert.throws(() => statSync(join(server.dataDir, "audit.jsonl")), /ENOENT/);
    } finally {
      await server.close();
    }
  });
});
