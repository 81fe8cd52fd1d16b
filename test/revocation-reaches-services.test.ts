/**
 * Revocation reaching every service replica (issue 14 §4), end to end on
 * PostgreSQL: two auth provider replicas share the database, and two notes
 * replicas each follow a different auth replica's revocation list. A token
 * revoked at auth replica A (RFC 7009), and every token of a client disabled
 * with `auth-admin` (a third process with nothing but the database in
 * common), is refused by both notes replicas within 5 s: UNAUTHENTICATED with
 * reason TOKEN_REVOKED in the AuthError detail; introspection agrees.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { basicAuthorization, requestToken, startAuthReplica, writeKeyEncryptionKeyFile, type AuthReplica } from "./support/auth-provider.js";
import { runNode } from "./support/cli.js";
import { testPostgres } from "./support/database-backends.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { bearer, serviceEnv, transportFor } from "./support/system.js";

const issuer = "http://auth.revocation.test/auth";
let work: { path: string; remove(): void };
let shared: Record<string, string>;
let authA: AuthReplica;
let authB: AuthReplica;
let notesA: RunningProcess;
let notesB: RunningProcess;
const client = { id: "revocation-probe", secret: "" };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function admin(args: string[]) {
  return runNode("auth-provider/admin/main.js", ["--output", "json", ...args], { ...shared, DATA_DIR: join(work.path, "admin-data") });
}

// A notes replica that fetches keys and revocations from one auth replica.
function startNotes(auth: AuthReplica): Promise<RunningProcess> {
  return startProcess("notes/main.js", {
    env: {
      ...serviceEnv("notes", tempDataDir().path, issuer, auth.server.url),
      DATABASE_URL: shared["DATABASE_URL"]!,
      AUTH_REVOCATIONS_URL: `${auth.server.url}/auth/oauth/revocations`,
    },
  });
}

async function newToken(at: AuthReplica = authA): Promise<string> {
  const answer = await requestToken(at.server.url, { form: { grant_type: "client_credentials", audience: "note-service", scope: "note.read" } }, { authorization: basicAuthorization(client.id, client.secret) });
  assert.equal(answer.status, 200, answer.text);
  return String(answer.json?.["access_token"]);
}

const listAt = (replica: RunningProcess, token: string) =>
  createClient(NoteService, transportFor("grpc", replica.url, [bearer(token)])).listNotes({});

// Waits until both notes replicas refuse the token as revoked; returns how long that took.
async function refusedEverywhere(token: string, limitMs = 5000): Promise<number> {
  const started = Date.now();
  const pending = new Set([notesA, notesB]);
  while (pending.size > 0) {
    for (const replica of [...pending]) {
      try {
        await listAt(replica, token);
      } catch (err) {
        const e = ConnectError.from(err);
        assert.equal(e.code, Code.Unauthenticated, e.rawMessage);
        assert.equal(e.findDetails(AuthErrorSchema)[0]?.reason, AuthFailureReason.TOKEN_REVOKED);
        assert.match(e.rawMessage, /revoked/);
        pending.delete(replica);
      }
    }
    if (pending.size > 0 && Date.now() - started > limitMs) assert.fail(`still accepted by ${pending.size} replica(s) ${limitMs} ms after the revocation`);
    await sleep(100);
  }
  return Date.now() - started;
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${authB.server.url}/auth/oauth/introspect`, {
    method: "POST",
    headers: { authorization: basicAuthorization(client.id, client.secret), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Record<string, unknown>;
}

before(async () => {
  work = tempDataDir();
  shared = {
    DATABASE_URL: await (await testPostgres()).createDatabase(),
    AUTH_KEY_ENCRYPTION_KEY_FILE: writeKeyEncryptionKeyFile(work.path),
    AUTH_ISSUER: issuer,
  };
  [authA, authB] = await Promise.all([startAuthReplica(shared), startAuthReplica(shared)]);
  [notesA, notesB] = await Promise.all([startNotes(authA), startNotes(authB)]);
  const added = await admin(["client", "add", client.id, "--grant", "note-service:note.read"]);
  assert.equal(added.code, 0, added.stderr);
  client.secret = String((JSON.parse(added.stdout) as { clientSecret: string }).clientSecret);
});
after(async () => {
  await Promise.all([notesA?.stop(), notesB?.stop()]);
  await Promise.all([authA?.close(), authB?.close()]);
  work?.remove();
});

describe("revocation reaches every service replica", () => {
  it("a token revoked at one auth replica is refused by every notes replica within 5 s", async () => {
    const token = await newToken();
    await Promise.all([listAt(notesA, token), listAt(notesB, token)]); // accepted (and cached) by both
    assert.equal((await introspect(token))["active"], true);
    const response = await fetch(`${authA.server.url}/auth/oauth/revoke`, {
      method: "POST",
      headers: { authorization: basicAuthorization(client.id, client.secret), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }),
    });
    assert.equal(response.status, 200);
    const tookMs = await refusedEverywhere(token);
    assert.ok(tookMs <= 5000, `took ${tookMs} ms`);
    assert.equal((await introspect(token))["active"], false, "the other auth replica knows it too");
    await listAt(notesA, await newToken(authB)); // the client's other tokens still work
  });

  it("disabling the client with auth-admin revokes every token it holds, at every replica", async () => {
    const tokens = [await newToken(authA), await newToken(authB)];
    for (const token of tokens) await Promise.all([listAt(notesA, token), listAt(notesB, token)]);
    const disabled = await admin(["client", "disable", client.id]);
    assert.equal(disabled.code, 0, disabled.stderr);
    for (const token of tokens) await refusedEverywhere(token);
    const refused = await requestToken(authB.server.url, { form: { grant_type: "client_credentials", audience: "note-service", scope: "note.read" } }, { authorization: basicAuthorization(client.id, client.secret) });
    assert.equal(refused.status, 401);
    assert.equal(refused.json?.["error"], "invalid_client");
  });
});
