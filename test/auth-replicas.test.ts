/**
 * Two auth provider replicas on one PostgreSQL (issue 13 §3), each with its
 * own empty DATA_DIR and the same DATABASE_URL and key-encryption key: they
 * publish the same JWKS and sign with the same key; the admin CLI, run as a
 * third process, reaches both within 5 s (new client, disabled client, key
 * rotation without a single failed verification); failed logins count across
 * replicas; another machine gets the assistant's credentials with
 * `auth-admin client rotate-secret assistant`; a missing KEK or a bad
 * DATABASE_URL stops start-up with exit 2;
 * and while PostgreSQL is down the token endpoint answers 503
 * temporarily_unavailable and /healthz 503, recovering without a restart.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { basicAuthorization, requestToken, startAuthReplica, writeKeyEncryptionKeyFile, type AuthReplica } from "./support/auth-provider.js";
import { runNode } from "./support/cli.js";
import { startTestPostgres, type TestPostgres } from "./support/postgres.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { serviceEnv } from "./support/system.js";

const issuer = "http://auth.replicas.test/auth";
let postgres: TestPostgres;
let work: { path: string; remove(): void };
let shared: Record<string, string>;
let replicas: AuthReplica[] = [];
let assistantSecret: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function jwks(replica: AuthReplica): Promise<JSONWebKeySet> {
  return (await (await fetch(`${replica.server.url}/auth/jwt/jwks.json`)).json()) as JSONWebKeySet;
}

function token(replica: AuthReplica, clientId: string, secret: string, audience = "note-service", scope = "note.read") {
  return requestToken(replica.server.url, { form: { grant_type: "client_credentials", audience, scope } }, { authorization: basicAuthorization(clientId, secret) });
}

function admin(args: string[]) {
  const elsewhere = join(work.path, "admin-data"); // a third machine: nothing but the database in common
  return runNode("auth-provider/admin/main.js", ["--output", "json", ...args], { ...shared, DATA_DIR: elsewhere });
}

// Waits until check passes on every replica; returns how long that took.
async function onEveryReplica(check: (replica: AuthReplica) => Promise<boolean>, what: string, limitMs = 5000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const results = await Promise.all(replicas.map(check));
    if (results.every(Boolean)) return Date.now() - started;
    if (Date.now() - started > limitMs) assert.fail(`not on every replica within ${limitMs} ms: ${what}`);
    await sleep(100);
  }
}

before(async () => {
  postgres = await startTestPostgres();
  work = tempDataDir();
  shared = {
    DATABASE_URL: await postgres.createDatabase(),
    AUTH_KEY_ENCRYPTION_KEY_FILE: writeKeyEncryptionKeyFile(work.path),
    AUTH_ISSUER: issuer,
    AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "4",
    AUTH_FAILED_AUTH_LIMIT_PER_ADDRESS: "1000",
  };
  // Started together: they race to create the keys and the assistant.
  replicas = await Promise.all([startAuthReplica(shared), startAuthReplica(shared)]);
});

after(async () => {
  for (const replica of replicas) await replica.close();
  await postgres?.stop();
  work?.remove();
});

describe("auth provider replicas on PostgreSQL", () => {
  it("create one key set and one assistant; publish the same JWKS; a token from A verifies with B's JWKS", async () => {
    const outcomes = replicas.map((r) => r.server.logs().find((l) => l["msg"] === "assistant client credentials")?.["outcome"]);
    assert.deepEqual([...outcomes].sort(), ["created", "shared"], "one replica created the assistant, the other left it alone");
    const creator = replicas[outcomes.indexOf("created")]!;
    const file = JSON.parse(readFileSync(join(creator.dataDir, "clients.json"), "utf8")) as { assistant: { clientSecret: string } };
    assistantSecret = file.assistant.clientSecret;

    const [a, b] = replicas as [AuthReplica, AuthReplica];
    assert.deepEqual(await jwks(a), await jwks(b));
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const granted = await token(from, "assistant", assistantSecret);
      assert.equal(granted.status, 200, granted.text);
      const verified = await jwtVerify(granted.json!["access_token"] as string, createLocalJWKSet(await jwks(to)), { issuer, audience: "note-service" });
      assert.equal(verified.payload.sub, "assistant");
    }
    const health = await fetch(`${a.server.url}/healthz`);
    assert.deepEqual(await health.json(), { status: "ok", backend: "embedded", storage: "postgres" });
  });

  it("a client added and then disabled by auth-admin on a third machine reaches both replicas within 5 s", async () => {
    const added = await admin(["client", "add", "reporter", "--grant", "note-service:note.read"]);
    assert.equal(added.code, 0, added.stderr);
    const secret = (JSON.parse(added.stdout) as { clientSecret: string }).clientSecret;
    await onEveryReplica(async (r) => (await token(r, "reporter", secret)).status === 200, "the new client gets tokens");
    const disabled = await admin(["client", "disable", "reporter"]);
    assert.equal(disabled.code, 0, disabled.stderr);
    await onEveryReplica(async (r) => (await token(r, "reporter", secret)).status === 401, "the disabled client is refused");
    const listed = JSON.parse((await admin(["client", "list"])).stdout) as { clients: { clientId: string; disabled: boolean }[] };
    assert.deepEqual(listed.clients.map((c) => [c.clientId, c.disabled]), [["assistant", false], ["reporter", true]]);
  });

  it("key rotate reaches both replicas within 5 s; under load every token verifies at the other replica and at a real notes service", async () => {
    const before = decodeProtectedHeader((await token(replicas[0]!, "assistant", assistantSecret)).json!["access_token"] as string).kid;
    // A real notes service verifying with its own cached key set, fetched from replica A (as through a load balancer).
    const notesData = tempDataDir();
    const notes: RunningProcess = await startProcess("notes/main.js", { env: { ...serviceEnv("notes", notesData.path, issuer, replicas[0]!.server.url) } });
    const notesClient = createClient(NoteService, createGrpcTransport({ baseUrl: notes.url }));
    let stop = false;
    let verified = 0;
    let called = 0;
    const failures: string[] = [];
    const kidsSeen = new Set<string>();
    const worker = async (offset: number) => {
      for (let i = offset; !stop; i++) {
        const from = replicas[i % 2]!;
        const to = replicas[(i + 1) % 2]!;
        const granted = await token(from, "assistant", assistantSecret);
        if (granted.status !== 200) {
          failures.push(`token ${granted.status} ${granted.text}`);
          continue;
        }
        const jwt = granted.json!["access_token"] as string;
        try {
          await jwtVerify(jwt, createLocalJWKSet(await jwks(to)), { issuer, audience: "note-service" });
          verified++;
          kidsSeen.add(decodeProtectedHeader(jwt).kid!);
        } catch (err) {
          failures.push(`verify: ${String(err)}`);
        }
        try {
          await notesClient.listNotes({ pageSize: 1 }, { headers: { authorization: `Bearer ${jwt}` } });
          called++;
        } catch (err) {
          failures.push(`notes: ${Code[ConnectError.from(err).code]} ${ConnectError.from(err).rawMessage}`);
        }
      }
    };
    // Four callers at once: tokens from both replicas, verified at the other replica and at the service.
    const loop = Promise.all([0, 1, 2, 3].map(worker));
    try {
      // Longer than a service's 10 s between unknown-kid refetches (its last fetch may be just before the
      // rotation), as the default 15 s is: every service has the new key before the first token it signs.
      const rotated = await admin(["key", "rotate", "--activation-delay", "11"]);
      assert.equal(rotated.code, 0, rotated.stderr);
      const newKid = (JSON.parse(rotated.stdout) as { kid: string }).kid;
      await onEveryReplica(async (r) => (await jwks(r)).keys.some((k) => k.kid === newKid), "the new key is published", 5000);
      await onEveryReplica(
        async (r) => decodeProtectedHeader((await token(r, "assistant", assistantSecret)).json!["access_token"] as string).kid === newKid,
        "the new key signs",
        16_000,
      );
      // The callers' next rounds pick the new key up (a round is a token, a JWKS fetch and a call: slow under load).
      for (const deadline = Date.now() + 10_000; !kidsSeen.has(newKid) && Date.now() < deadline; ) await sleep(100);
      assert.ok(kidsSeen.has(before!) && kidsSeen.has(newKid), `tokens of both keys were checked: ${[...kidsSeen].join(", ")}; ${before} → ${newKid}; ${failures.slice(0, 3).join("; ")}`);
    } finally {
      stop = true;
      await loop;
      await notes.stop();
      notesData.remove();
    }
    assert.deepEqual(failures, []);
    assert.ok(verified > 10 && called === verified, `only ${verified} tokens were checked, ${called} calls made`);
  });

  it("counts failed logins across replicas", async () => {
    const [a, b] = replicas as [AuthReplica, AuthReplica];
    const wrong = "wrong-secret-wrong-secret-wrong-secret-1234";
    for (const replica of [a, b, a]) assert.equal((await token(replica, "assistant-victim", wrong)).status, 401);
    assert.equal((await token(b, "assistant-victim", wrong)).status, 401, "the fourth failure reaches the limit");
    const refused = await token(a, "assistant-victim", wrong);
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.json!["error"], "slow_down");
    assert.equal((await token(b, "assistant-victim", wrong)).status, 429);
  });

  it("another machine gets the assistant's credentials with auth-admin client rotate-secret assistant", async () => {
    const other = replicas.find((r) => r.server.logs().some((l) => l["msg"] === "assistant client credentials" && l["outcome"] === "shared"))!;
    const rotated = await runNode("auth-provider/admin/main.js", ["--output", "json", "client", "rotate-secret", "assistant"], { ...shared, DATA_DIR: other.dataDir });
    assert.equal(rotated.code, 0, rotated.stderr);
    const written = JSON.parse(readFileSync(join(other.dataDir, "clients.json"), "utf8")) as { assistant: { clientId: string; clientSecret: string } };
    assert.equal(written.assistant.clientSecret, (JSON.parse(rotated.stdout) as { clientSecret: string }).clientSecret);
    const previous = assistantSecret;
    assistantSecret = written.assistant.clientSecret;
    await onEveryReplica(async (r) => (await token(r, "assistant", assistantSecret)).status === 200, "the new secret works");
    assert.equal((await token(other, "assistant", previous)).status, 401, "the old secret no longer works");
  });

  it("refuses to start without the KEK, or with a bad DATABASE_URL, never printing the password (exit 2)", async () => {
    const dataDir = join(work.path, "refused");
    const noKek = await runNode("auth-provider/main.js", [], { DATA_DIR: dataDir, AUTH_PORT: "0", DATABASE_URL: shared["DATABASE_URL"] });
    assert.equal(noKek.code, 2, noKek.stderr);
    assert.match(noKek.stderr, /AUTH_KEY_ENCRYPTION_KEY_FILE: must be set when DATABASE_URL is set.*openssl rand -base64 32 > FILE/);
    const badUrl = await runNode("auth-provider/main.js", [], { DATA_DIR: dataDir, AUTH_PORT: "0", ...shared, DATABASE_URL: "mysql://app:hunter2-secret@db/m2m" });
    assert.equal(badUrl.code, 2, badUrl.stderr);
    assert.match(badUrl.stderr, /DATABASE_URL/);
    assert.ok(!`${badUrl.stdout}${badUrl.stderr}`.includes("hunter2-secret"));
    mkdirSync(join(work.path, "other-kek"));
    const otherKek = writeKeyEncryptionKeyFile(join(work.path, "other-kek"));
    const wrongKek = await runNode("auth-provider/main.js", [], { DATA_DIR: dataDir, AUTH_PORT: "0", ...shared, AUTH_KEY_ENCRYPTION_KEY_FILE: otherKek });
    assert.equal(wrongKek.code, 1, wrongKek.stderr);
    assert.match(wrongKek.stderr, /does not open with this key-encryption key \(another AUTH_KEY_ENCRYPTION_KEY_FILE/);
    const adminNoKek = await runNode("auth-provider/admin/main.js", ["client", "list"], { DATA_DIR: dataDir, DATABASE_URL: shared["DATABASE_URL"] });
    assert.equal(adminNoKek.code, 2, adminNoKek.stderr);
    assert.match(adminNoKek.stderr, /^auth-admin: AUTH_KEY_ENCRYPTION_KEY_FILE: must be set when DATABASE_URL is set/);
  });

  it("answers 503 temporarily_unavailable while PostgreSQL is down, serves the JWKS from memory, and recovers without a restart", async (t) => {
    if (postgres.pause === undefined) return t.skip("TEST_DATABASE_URL names a server this test cannot stop");
    const [a] = replicas as [AuthReplica];
    await postgres.pause!();
    try {
      await onEveryReplica(async (r) => (await fetch(`${r.server.url}/healthz`)).status === 503, "health reports the database", 5000);
      const health = (await (await fetch(`${a.server.url}/healthz`)).json()) as { status: string; reason: string };
      assert.equal(health.status, "unavailable");
      assert.match(health.reason, /issuer keys/);
      for (const replica of replicas) {
        const refused = await token(replica, "assistant", assistantSecret);
        assert.equal(refused.status, 503, refused.text);
        assert.equal(refused.json!["error"], "temporarily_unavailable");
        assert.ok(Number(refused.headers.get("retry-after")) > 0);
        assert.equal((await jwks(replica)).keys.length > 0, true, "the JWKS is served from memory");
      }
    } finally {
      await postgres.start!();
    }
    await onEveryReplica(async (r) => (await token(r, "assistant", assistantSecret)).status === 200, "tokens again", 15_000);
    await onEveryReplica(async (r) => (await fetch(`${r.server.url}/healthz`)).status === 200, "healthy again", 5000);
    for (const replica of replicas) assert.equal(replica.server.child.exitCode, null, "no replica restarted");
  });
});
