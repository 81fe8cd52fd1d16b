/**
 * The assistant with DPoP (RFC 9449) against the real auth provider and
 * services: it sees DPoP advertised in discovery, keeps its key beside the
 * token cache (mode 0600, reused by the next run), gets DPoP-bound tokens
 * (cnf.jkt) and calls over gRPC, Connect and gRPC-Web with a fresh proof per
 * call, also from the session the terminal UI uses (a watch stream included).
 * Its token, stolen from the cache and replayed as Bearer, is refused.
 * `--no-dpop` (ASSISTANT_DPOP=0) gets Bearer tokens as before, never mixed up
 * in the cache with DPoP ones; a client registered --require-dpop is refused
 * without DPoP, with a message that says so.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { calculateJwkThumbprint, type JWK } from "jose";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { createTestAssistantSession } from "./support/assistant-session.js";
import { cliEnv, runCli, runNode, type CliResult } from "./support/cli.js";
import { bearer, startSystem, transportFor, type Protocol, type TestSystem } from "./support/system.js";

let system: TestSystem;
let dpopBotSecret: string;

before(async () => {
  system = await startSystem();
  const added = await runNode(
    "auth-provider/admin/main.js",
    ["client", "add", "dpop-bot", "--grant", "note-service:note.read,note.write", "--require-dpop"],
    { DATA_DIR: system.dataDir },
  );
  assert.equal(added.code, 0, added.stderr);
  const secret = /^client_secret: ([A-Za-z0-9_-]{43})$/m.exec(added.stdout)?.[1];
  assert.ok(secret, added.stdout);
  dpopBotSecret = secret;
});
after(() => system?.stop());

const tokenRequests = () => system.auth.logs().filter((l) => l["msg"] === "request" && l["path"] === "/auth/oauth/token").length;

function ok(result: CliResult): string {
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

interface TokenOutput {
  tokenType: string;
  cached: boolean;
  claims: { cnf?: { jkt?: string }; sub?: string };
  accessToken: string;
}

const tokenInfo = async (extraArgs: string[], runEnv: Record<string, string | undefined>) =>
  JSON.parse(ok(await runCli(["--output", "json", ...extraArgs, "token", "--audience", "note-service"], runEnv))) as TokenOutput;

const keyFileOf = (runEnv: Record<string, string | undefined>) => join(runEnv["XDG_CACHE_HOME"]!, "m2m-grpc", "dpop-key.json");

async function thumbprintOfKeyFile(file: string): Promise<string> {
  const { kty, crv, x, y } = JSON.parse(readFileSync(file, "utf8")) as JWK;
  return calculateJwkThumbprint({ kty, crv, x, y } as JWK, "sha256");
}

// Refusal details of a call: the status code and the AuthError reason, by name.
async function refusal(call: Promise<unknown>): Promise<{ code: string; reason: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const error = ConnectError.from(err);
    const reason = error.findDetails(AuthErrorSchema)[0]?.reason ?? AuthFailureReason.UNSPECIFIED;
    return { code: Code[error.code], reason: AuthFailureReason[reason], message: error.rawMessage };
  }
  assert.fail("the call succeeded but should have been refused");
}

describe("the assistant with DPoP", () => {
  for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
    test(`over ${protocol}: note add, list and get with DPoP-bound tokens`, async () => {
      const runEnv = cliEnv(system, { ASSISTANT_PROTOCOL: protocol });
      const { note } = JSON.parse(ok(await runCli(["--output", "json", "note", "add", `dpop over ${protocol}`], runEnv))) as { note: { id: string } };
      assert.match(ok(await runCli(["note", "list"], runEnv)), new RegExp(`dpop over ${protocol}`));
      assert.match(ok(await runCli(["note", "get", note.id], runEnv)), new RegExp(`^title:\\s+dpop over ${protocol}$`, "m"));
      // Each command above used a token from the cache after the first: it is DPoP-bound to the key on disk.
      const info = await tokenInfo([], runEnv);
      assert.equal(info.tokenType, "DPoP");
      assert.equal(info.cached, true, "the list and get reused the read token");
      assert.equal(info.claims.cnf?.jkt, await thumbprintOfKeyFile(keyFileOf(runEnv)));
    });
  }

  test("the key is readable by its owner only and reused by the next run, with its cached tokens", async () => {
    const runEnv = cliEnv(system);
    const first = await tokenInfo([], runEnv);
    assert.equal(first.cached, false);
    const keyFile = keyFileOf(runEnv);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const thumbprint = await thumbprintOfKeyFile(keyFile);
    assert.equal(first.claims.cnf?.jkt, thumbprint);
    const second = await tokenInfo([], runEnv);
    assert.equal(second.cached, true, "the second run found the token bound to the same key");
    assert.equal(second.accessToken, first.accessToken);
    assert.equal(await thumbprintOfKeyFile(keyFile), thumbprint, "the key was not replaced");
    assert.match(ok(await runCli(["token", "--audience", "note-service"], runEnv)), /^DPoP token for note-service.*\nbound to \(cnf\): \{"jkt":"[A-Za-z0-9_-]{43}"\}$/m);
  });

  test("the session the terminal UI uses calls with DPoP, a watch stream included", async () => {
    const { session, remove } = createTestAssistantSession(system);
    try {
      const token = await session.tokens.getToken("note-service", "note.read");
      assert.equal(token.tokenType, "DPoP");
      await session.notes.listNotes({ pageSize: 1 }, { timeoutMs: 5000 });
      const abort = new AbortController();
      const stream = session.notes.watchNotes({}, { signal: abort.signal });
      const first = await stream[Symbol.asyncIterator]().next();
      assert.equal(first.done, false, "the watch started");
      abort.abort();
    } finally {
      remove();
    }
  });

  test("a cached DPoP token the service refuses is dropped, and the call retried once with a fresh token and proof", async () => {
    const runEnv = cliEnv(system);
    ok(await runCli(["note", "list"], runEnv));
    const cacheFile = join(runEnv["XDG_CACHE_HOME"]!, "m2m-grpc", "tokens.json");
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, { accessToken: string; tokenType: string }>;
    const [key] = Object.entries(cache).find(([, entry]) => entry.tokenType === "DPoP") ?? [];
    assert.ok(key, "a DPoP token in the cache");
    writeFileSync(cacheFile, JSON.stringify({ [key]: { ...cache[key], accessToken: "eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln" } }));
    const before = tokenRequests();
    ok(await runCli(["note", "list"], runEnv));
    ok(await runCli(["--protocol", "grpc-web", "note", "list"], runEnv));
    assert.equal(tokenRequests() - before, 1);
  });

  for (const protocol of ["grpc", "connect"] as const satisfies Protocol[]) {
    test(`its token, taken from the cache and replayed as Bearer over ${protocol}, is refused: DPOP_TOKEN_AS_BEARER`, async () => {
      const runEnv = cliEnv(system);
      ok(await runCli(["note", "list"], runEnv));
      const cache = JSON.parse(readFileSync(join(runEnv["XDG_CACHE_HOME"]!, "m2m-grpc", "tokens.json"), "utf8")) as Record<string, { accessToken: string; tokenType: string }>;
      const stolen = Object.values(cache).find((entry) => entry.tokenType === "DPoP");
      assert.ok(stolen, "a DPoP token in the cache");
      const thief = createClient(NoteService, transportFor(protocol, system.notes.url, [bearer(stolen.accessToken)]));
      const refused = await refusal(thief.listNotes({ pageSize: 1 }, { timeoutMs: 5000 }));
      assert.deepEqual([refused.code, refused.reason], ["Unauthenticated", "DPOP_TOKEN_AS_BEARER"], refused.message);
    });
  }
});

describe("without DPoP", () => {
  test("--no-dpop and ASSISTANT_DPOP=0 work with Bearer tokens, and make no DPoP key", async () => {
    for (const [args, extra] of [[["--no-dpop"], {}], [[], { ASSISTANT_DPOP: "0" }]] as const) {
      const runEnv = cliEnv(system, extra);
      ok(await runCli([...args, "note", "add", "bearer note"], runEnv));
      assert.match(ok(await runCli([...args, "note", "list"], runEnv)), /bearer note/);
      const info = await tokenInfo([...args], runEnv);
      assert.equal(info.tokenType, "Bearer");
      assert.equal(info.claims.cnf, undefined);
      assert.throws(() => statSync(keyFileOf(runEnv)), /ENOENT/);
    }
  });

  test("a cached Bearer token is not used where DPoP is wanted, nor the reverse", async () => {
    const runEnv = cliEnv(system);
    const bearerToken = await tokenInfo(["--no-dpop"], runEnv);
    const dpopToken = await tokenInfo([], runEnv);
    assert.deepEqual([dpopToken.tokenType, dpopToken.cached], ["DPoP", false]);
    const bearerAgain = await tokenInfo(["--no-dpop"], runEnv);
    assert.deepEqual([bearerAgain.tokenType, bearerAgain.cached, bearerAgain.accessToken], ["Bearer", true, bearerToken.accessToken]);
    const dpopAgain = await tokenInfo([], runEnv);
    assert.deepEqual([dpopAgain.tokenType, dpopAgain.cached, dpopAgain.accessToken], ["DPoP", true, dpopToken.accessToken]);
  });

  test("a client registered --require-dpop works with DPoP and is refused without it: exit 4 naming invalid_dpop_proof", async () => {
    const botEnv = cliEnv(system, { ASSISTANT_CLIENT_ID: "dpop-bot", ASSISTANT_CLIENT_SECRET: dpopBotSecret });
    assert.equal((await tokenInfo([], botEnv)).tokenType, "DPoP");
    ok(await runCli(["note", "list"], botEnv));
    const refused = await runCli(["--no-dpop", "note", "list"], cliEnv(system, { ASSISTANT_CLIENT_ID: "dpop-bot", ASSISTANT_CLIENT_SECRET: dpopBotSecret }));
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /^assistant: .*invalid_dpop_proof.*--no-dpop.*\n$/);
    assert.equal(refused.stdout, "");
  });
});
