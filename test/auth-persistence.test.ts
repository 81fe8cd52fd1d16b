/**
 * What survives a restart of the real process: the signing key, the client
 * secret hash and the credentials file; and what happens when the
 * credentials file or the database goes missing. Also checks file modes and
 * that no plain secret reaches the database or the logs.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeProtectedHeader } from "jose";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { basicAuthorization, requestToken } from "./support/auth-provider.js";
import { runNode } from "./support/cli.js";

const tokenFields = { grant_type: "client_credentials", audience: "calendar-service", scope: "calendar.read" };

let root: { path: string; remove(): void };
let dataDir: string;
const secretsSeen: string[] = [];
const outputs: string[] = [];

function start(): Promise<RunningProcess> {
  return startProcess("auth-provider/main.js", { env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: dataDir } });
}

async function stop(server: RunningProcess): Promise<void> {
  assert.equal(await server.stop(), 0);
  outputs.push(...server.output);
}

function assistantSecret(): string {
  const file = JSON.parse(readFileSync(join(dataDir, "clients.json"), "utf8")) as Record<string, { clientId: string; clientSecret: string }>;
  assert.deepEqual(Object.keys(file), ["assistant"]);
  assert.deepEqual(Object.keys(file["assistant"]!), ["clientId", "clientSecret"]);
  assert.equal(file["assistant"]!.clientId, "assistant");
  const secret = file["assistant"]!.clientSecret;
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url");
  secretsSeen.push(secret);
  return secret;
}

async function tokenStatus(server: RunningProcess, secret: string): Promise<{ status: number; kid?: string }> {
  const answer = await requestToken(server.url, { form: tokenFields }, { authorization: basicAuthorization("assistant", secret) });
  if (answer.status !== 200) return { status: answer.status };
  return { status: 200, kid: decodeProtectedHeader(answer.json!["access_token"] as string).kid! };
}

function outcomeOf(server: RunningProcess): unknown {
  return server.logs().find((l) => l["msg"] === "assistant client credentials")?.["outcome"];
}

before(() => {
  root = tempDataDir();
  dataDir = join(root.path, "nested", "data"); // created by the process, with its parents
});

after(() => root?.remove());

describe("persistence across restarts", () => {
  let firstKid: string;
  let firstSecret: string;

  it("creates keys, database and credentials on first start, with private modes", async () => {
    const server = await start();
    assert.equal(outcomeOf(server), "created");
    firstSecret = assistantSecret();
    const result = await tokenStatus(server, firstSecret);
    assert.equal(result.status, 200);
    firstKid = result.kid!;
    await stop(server);

    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const name of readdirSync(dataDir)) {
      assert.equal(statSync(join(dataDir, name)).mode & 0o777, 0o600, `${name} has mode 0600`);
    }
    assert.ok(readdirSync(dataDir).includes("issuer-keys.json"));
    assert.ok(readdirSync(dataDir).includes("auth.db"));
    const credentialsLog = server.logs().find((l) => l["msg"] === "assistant client credentials")!;
    assert.equal(credentialsLog["file"], join(dataDir, "clients.json"));
  });

  it("keeps the signing key and the credentials on restart", async () => {
    const server = await start();
    assert.equal(outcomeOf(server), "unchanged");
    assert.equal(assistantSecret(), firstSecret);
    const result = await tokenStatus(server, firstSecret);
    assert.equal(result.status, 200);
    assert.equal(result.kid, firstKid);
    await stop(server);
  });

  it("re-issues the assistant secret when clients.json is deleted, and warns", async () => {
    rmSync(join(dataDir, "clients.json"));
    const server = await start();
    assert.equal(outcomeOf(server), "reissued");
    const secret = assistantSecret();
    assert.notEqual(secret, firstSecret);
    assert.equal(statSync(join(dataDir, "clients.json")).mode & 0o777, 0o600);
    assert.equal((await tokenStatus(server, firstSecret)).status, 401, "the old secret no longer works");
    assert.equal((await tokenStatus(server, secret)).status, 200);
    await stop(server); // warnings go to stderr; after the exit all of it has arrived
    const warning = server.logs().find((l) => l["level"] === "warn" && /re-issued/.test(String(l["msg"])));
    assert.ok(warning, "a warning says the secret was re-issued");
  });

  it("re-issues the secret when clients.json holds one that does not match", async () => {
    const stale = "stale-secret-stale-secret-stale-secret";
    writeFileSync(join(dataDir, "clients.json"), JSON.stringify({ assistant: { clientId: "assistant", clientSecret: stale } }));
    const server = await start();
    assert.equal(outcomeOf(server), "reissued");
    const secret = assistantSecret();
    assert.notEqual(secret, stale);
    assert.equal((await tokenStatus(server, secret)).status, 200);
    await stop(server);
  });

  it("registers the file's secret when the database lost the client", async () => {
    const secret = assistantSecret();
    for (const name of readdirSync(dataDir)) if (name.startsWith("auth.db")) rmSync(join(dataDir, name));
    const server = await start();
    assert.equal(outcomeOf(server), "restored");
    assert.equal(assistantSecret(), secret);
    const result = await tokenStatus(server, secret);
    assert.equal(result.status, 200);
    assert.equal(result.kid, firstKid);
    await stop(server);
  });

  it("replaces a weak secret in clients.json rather than register it", async () => {
    const weak = "abcdefgh12345678"; // 16 characters, about 96 bits
    writeFileSync(join(dataDir, "clients.json"), JSON.stringify({ assistant: { clientId: "assistant", clientSecret: weak } }));
    for (const name of readdirSync(dataDir)) if (name.startsWith("auth.db")) rmSync(join(dataDir, name));
    const server = await start();
    assert.equal(outcomeOf(server), "created");
    const secret = assistantSecret();
    assert.notEqual(secret, weak);
    assert.equal((await tokenStatus(server, weak)).status, 401);
    assert.equal((await tokenStatus(server, secret)).status, 200);
    await stop(server);
    assert.ok(server.logs().some((l) => l["level"] === "warn" && /too weak/.test(String(l["msg"]))), "a warning says why");
  });

  it("leaves an assistant moved to a key alone: no secret is issued again on restart", async () => {
    const secret = assistantSecret();
    const keyFile = join(root.path, "assistant.pem");
    for (const args of [["client", "update", "assistant", "--key-out", keyFile], ["client", "revoke-secret", "assistant"]]) {
      const result = await runNode("auth-provider/admin/main.js", args, { DATA_DIR: dataDir });
      assert.equal(result.code, 0, result.stderr);
    }
    const server = await start();
    assert.equal(outcomeOf(server), "key-only");
    assert.equal((await tokenStatus(server, secret)).status, 401, "the removed secret stays removed");
    await stop(server);
  });

  it("never writes a plain secret outside clients.json, nor logs one", () => {
    assert.ok(secretsSeen.length >= 5);
    for (const name of readdirSync(dataDir)) {
      if (name === "clients.json") continue;
      const bytes = readFileSync(join(dataDir, name));
      for (const secret of secretsSeen) {
        assert.equal(bytes.indexOf(secret), -1, `${name} contains a plain secret`);
      }
    }
    const all = outputs.join("\n");
    for (const secret of secretsSeen) assert.ok(!all.includes(secret), "a secret was logged");
    assert.ok(!all.includes('"d"'), "key material was logged");
  });
});
