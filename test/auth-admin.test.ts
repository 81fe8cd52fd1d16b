/**
 * The admin CLI (`auth-admin`) as a subprocess against a real data directory
 * while the real auth provider runs on it: every command in text and JSON,
 * its effect on the token endpoint without a restart, and errors as exit
 * codes with one-line messages.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeProtectedHeader } from "jose";
import { basicAuthorization, requestToken } from "./support/auth-provider.js";
import { runNode, type CliResult } from "./support/cli.js";
import { runCommand } from "./support/commands.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";

let data: { path: string; remove(): void };
let provider: RunningProcess;
const printedSecrets: string[] = [];

const admin = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runNode("auth-provider/admin/main.js", args, { DATA_DIR: data.path, ...env });

async function ok(args: string[]): Promise<string> {
  const result = await admin(args);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}
const json = async <T = Record<string, unknown>>(args: string[]): Promise<T> => JSON.parse(await ok(["--output", "json", ...args])) as T;

function secretFrom(text: string): string {
  const secret = /^client_secret: ([A-Za-z0-9_-]{43})$/m.exec(text)?.[1];
  assert.ok(secret, `a secret in: ${text}`);
  printedSecrets.push(secret);
  return secret;
}

async function token(clientId: string, secret: string, audience = "calendar-service", scope = "calendar.read") {
  const answer = await requestToken(provider.url, { form: { grant_type: "client_credentials", audience, scope } }, { authorization: basicAuthorization(clientId, secret) });
  return { status: answer.status, error: answer.json?.["error"], json: answer.json };
}

async function jwksKids(): Promise<string[]> {
  const jwks = (await (await fetch(`${provider.url}/auth/jwt/jwks.json`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid);
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  data = tempDataDir();
  provider = await startProcess("auth-provider/main.js", { env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: data.path } });
});
after(async () => {
  assert.equal(await provider?.stop(), 0);
  data?.remove();
});

describe("auth-admin client commands", () => {
  let reporterSecret: string;

  it("client add: the new client gets tokens at once, only for its scopes and audiences", async () => {
    const result = await admin(["client", "add", "reporter", "--scope", "calendar.read note.read", "--audience", "calendar-service", "--token-ttl", "600"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^added client reporter \(scopes: calendar\.read note\.read; audiences: calendar-service; token ttl: 600s\)\n/);
    assert.match(result.stderr, /shown only this once/);
    reporterSecret = secretFrom(result.stdout);
    const granted = await token("reporter", reporterSecret);
    assert.equal(granted.status, 200);
    assert.equal(granted.json?.["expires_in"], 600);
    assert.equal((await token("reporter", reporterSecret, "calendar-service", "calendar.write")).error, "invalid_scope");
    assert.equal((await token("reporter", reporterSecret, "note-service", "note.read")).error, "invalid_request");
  });

  it("client add --output json", async () => {
    const added = await json<{ client: Record<string, unknown>; clientSecret: string }>(["client", "add", "batch", "--scope", "note.read", "--audience", "note-service"]);
    assert.deepEqual({ ...added.client, createdAt: "", updatedAt: "" }, {
      clientId: "batch", scopes: ["note.read"], audiences: ["note-service"], tokenTtlSeconds: null, disabled: false, createdAt: "", updatedAt: "",
    });
    printedSecrets.push(added.clientSecret);
    assert.equal((await token("batch", added.clientSecret, "note-service", "note.read")).status, 200);
  });

  it("client list, in text and JSON", async () => {
    const lines = (await ok(["client", "list"])).trimEnd().split("\n");
    assert.match(lines[0]!, /^CLIENT ID +SCOPES +AUDIENCES +TTL +DISABLED +CREATED$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ {2,}/)[0]), ["assistant", "batch", "reporter"]);
    assert.match(lines[3]!, /^reporter +calendar\.read note\.read +calendar-service +600s +no +\d{4}-\d\d-\d\dT/);
    const { clients } = await json<{ clients: { clientId: string; tokenTtlSeconds: number | null }[] }>(["client", "list"]);
    assert.deepEqual(clients.map((c) => [c.clientId, c.tokenTtlSeconds]), [["assistant", null], ["batch", null], ["reporter", 600]]);
  });

  it("client disable → invalid_client; enable → works again", async () => {
    assert.equal(await ok(["client", "disable", "reporter"]), "client reporter disabled\n");
    assert.equal((await token("reporter", reporterSecret)).error, "invalid_client");
    assert.deepEqual(await json(["client", "disable", "reporter"]), { client: (await json<{ clients: object[] }>(["client", "list"])).clients[2], changed: false });
    assert.equal(await ok(["client", "enable", "reporter"]), "client reporter enabled\n");
    assert.equal((await token("reporter", reporterSecret)).status, 200);
  });

  it("client rotate-secret: the old secret is refused, the new one works", async () => {
    const text = await ok(["client", "rotate-secret", "reporter"]);
    assert.match(text, /^new secret for client reporter; the old one no longer works\n/);
    const fresh = secretFrom(text);
    assert.equal((await token("reporter", reporterSecret)).error, "invalid_client");
    assert.equal((await token("reporter", fresh)).status, 200);
    const rotated = await json<{ clientSecret: string; credentialsFileEntries: string[] }>(["client", "rotate-secret", "reporter"]);
    printedSecrets.push(rotated.clientSecret);
    assert.deepEqual(rotated.credentialsFileEntries, []);
    assert.equal((await token("reporter", fresh)).error, "invalid_client");
    assert.equal((await token("reporter", rotated.clientSecret)).status, 200);
  });

  it("client rotate-secret assistant keeps clients.json in step", async () => {
    const rotated = await json<{ clientSecret: string; credentialsFileEntries: string[] }>(["client", "rotate-secret", "assistant"]);
    printedSecrets.push(rotated.clientSecret);
    assert.deepEqual(rotated.credentialsFileEntries, ["assistant"]);
    const file = JSON.parse(readFileSync(join(data.path, "clients.json"), "utf8")) as Record<string, { clientSecret: string }>;
    assert.equal(file["assistant"]!.clientSecret, rotated.clientSecret);
    assert.equal((await token("assistant", rotated.clientSecret)).status, 200);
  });

  it("client remove: gone from the token endpoint and the list", async () => {
    assert.equal(await ok(["client", "remove", "batch"]), "removed client batch\n");
    assert.deepEqual(await json(["client", "remove", "reporter"]), { removed: { clientId: "reporter" }, reappearsOnStart: false });
    assert.equal((await token("reporter", printedSecrets.at(-2)!)).error, "invalid_client");
    const { clients } = await json<{ clients: { clientId: string }[] }>(["client", "list"]);
    assert.deepEqual(clients.map((c) => c.clientId), ["assistant"]);
  });
});

describe("auth-admin key commands", () => {
  it("key rotate publishes the new key at once and signs with it after the delay; a second rotation waits", async () => {
    const before = JSON.parse(await ok(["--output", "json", "key", "list"])) as { keys: { kid: string; state: string; current: boolean }[] };
    assert.deepEqual(before.keys.map((k) => [k.state, k.current]), [["signing", true]]);
    const oldKid = before.keys[0]!.kid;

    // The delay leaves time for the second rotation below to find the first still pending, even on a slow machine.
    const text = await ok(["key", "rotate", "--activation-delay", "4"]);
    const newKid = /^new signing key ([A-Za-z0-9_-]{43}): published now, signs from (\S+)\n/.exec(text)?.[1];
    assert.ok(newKid, text);
    assert.match(text, new RegExp(`^key ${oldKid} signs until \\S+, published until \\S+$`, "m"));
    const pending = await admin(["key", "rotate"]);
    assert.equal(pending.code, 2);
    assert.match(pending.stderr, /^auth-admin: the key \S+ from the previous rotation starts signing only at \S+; rotate again after that\n$/);
    await eventually(async () => (await jwksKids()).includes(newKid), "the new key is published");

    await eventually(async () => {
      const granted = await requestToken(provider.url, { form: { grant_type: "client_credentials", audience: "note-service", scope: "note.read" } }, {
        authorization: basicAuthorization("assistant", printedSecrets.at(-1)!),
      });
      return decodeProtectedHeader(granted.json!["access_token"] as string).kid === newKid;
    }, "tokens carry the new kid");

    const rotation = await json<{ kid: string; retiring: { kid: string }[]; keys: { kid: string; state: string }[] }>(["key", "rotate"]);
    assert.deepEqual(rotation.retiring.map((r) => r.kid), [newKid]);
    assert.deepEqual(rotation.keys.map((k) => [k.kid, k.state]), [[oldKid, "retiring"], [newKid, "signing"], [rotation.kid, "next"]]);
    await eventually(async () => (await jwksKids()).length === 3, "three keys are published");

    const lines = (await ok(["key", "list"])).trimEnd().split("\n");
    assert.match(lines[0]!, /^KID +CREATED +STATE +SIGNS FROM +PUBLISHED UNTIL$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ +/)[2]), ["retiring", "signing", "next"]);
  });

  it("runs as npm run auth-admin", async () => {
    const result = await runCommand("npm", ["run", "--silent", "auth-admin", "--", "--output", "json", "key", "list"], { env: { DATA_DIR: data.path } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { keys: unknown[] }).keys.length, 3);
  });
});

describe("auth-admin errors", () => {
  const empty = mkdtempSync(join(tmpdir(), "m2m-grpc-empty-"));
  const broken = mkdtempSync(join(tmpdir(), "m2m-grpc-broken-"));
  writeFileSync(join(broken, "issuer-keys.json"), "{not json");
  after(() => [empty, broken].forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const cases: [string, string[], Record<string, string>, number, RegExp][] = [
    ["a bad client id", ["client", "add", "bad id!", "--scope", "a", "--audience", "b"], {}, 2, /invalid client id "bad id!": use 1 to 64 characters/],
    ["a client id over 64 characters", ["client", "add", "x".repeat(65), "--scope", "a", "--audience", "b"], {}, 2, /invalid client id/],
    ["an empty scope", ["client", "add", "c1", "--scope", " ", "--audience", "b"], {}, 2, /--scope needs at least one value/],
    ["a quote in a scope", ["client", "add", "c1", "--scope", 'a "b', "--audience", "b"], {}, 2, /invalid --scope value "\\"b"/],
    ["a backslash in an audience", ["client", "add", "c1", "--scope", "a", "--audience", "b\\c"], {}, 2, /invalid --audience value/],
    ["a ttl under 60", ["client", "add", "c1", "--scope", "a", "--audience", "b", "--token-ttl", "59"], {}, 2, /--token-ttl "59": use whole seconds from 60 to 86400/],
    ["a ttl over 86400", ["client", "add", "c1", "--scope", "a", "--audience", "b", "--token-ttl", "86401"], {}, 2, /--token-ttl/],
    ["a ttl with a unit", ["client", "add", "c1", "--scope", "a", "--audience", "b", "--token-ttl", "1h"], {}, 2, /--token-ttl/],
    ["a missing option", ["client", "add", "c1", "--scope", "a"], {}, 2, /required option '--audience <audiences>' not specified/],
    ["an existing client", ["client", "add", "assistant", "--scope", "a", "--audience", "b"], {}, 2, /client "assistant" already exists; use "client rotate-secret assistant"/],
    ["disabling an unknown client", ["client", "disable", "nobody"], {}, 3, /no client "nobody"; "client list" shows the registered clients/],
    ["enabling an unknown client", ["client", "enable", "nobody"], {}, 3, /no client "nobody"/],
    ["removing an unknown client", ["client", "remove", "nobody"], {}, 3, /no client "nobody"/],
    ["rotating the secret of an unknown client", ["client", "rotate-secret", "nobody"], {}, 3, /no client "nobody"/],
    ["an unknown command", ["client", "frobnicate"], {}, 2, /unknown command 'frobnicate'/],
    ["an unknown output format", ["--output", "xml", "client", "list"], {}, 2, /argument 'xml' is invalid/],
    ["a bad activation delay", ["key", "rotate", "--activation-delay", "soon"], {}, 2, /invalid --activation-delay "soon"/],
    ["a bad setting", ["key", "list"], { AUTH_KEY_RETIRE_MARGIN_SECONDS: "-5" }, 2, /AUTH_KEY_RETIRE_MARGIN_SECONDS: "-5" is not a whole number/],
    ["the SuperTokens backend", ["client", "list"], { SUPERTOKENS_CONNECTION_URI: "http://127.0.0.1:3567" }, 2, /manages only the embedded issuer/],
    ["a data directory without keys", ["client", "list"], { DATA_DIR: empty }, 3, /no issuer keys in .*: start the auth provider once/],
    ["a broken keys file", ["key", "list"], { DATA_DIR: broken }, 1, /issuer-keys\.json is not a valid issuer keys file \(not JSON\); restore it/],
  ];
  for (const [name, args, env, code, message] of cases) {
    it(`${name}: exit ${code} and one line`, async () => {
      const result = await admin(args, env);
      assert.equal(result.code, code, result.stderr);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.split("\n").length, 2, `one line: ${result.stderr}`);
      assert.match(result.stderr, message);
    });
  }

  it("created nothing in a data directory without keys", () => {
    assert.deepEqual(readdirSync(empty), []);
  });

  it("never stored or logged a printed secret", () => {
    assert.ok(printedSecrets.length >= 5);
    for (const name of readdirSync(data.path).filter((n) => n !== "clients.json")) {
      const bytes = readFileSync(join(data.path, name));
      for (const secret of printedSecrets) assert.equal(bytes.indexOf(secret), -1, `${name} holds a secret`);
    }
    const logs = provider.output.join("\n");
    for (const secret of printedSecrets) assert.ok(!logs.includes(secret));
  });
});
