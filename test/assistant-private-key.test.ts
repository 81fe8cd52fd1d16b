/**
 * The assistant without a shared secret: `auth-admin client add --key-out`
 * makes a key pair, the assistant signs client assertions with the private
 * key (ASSISTANT_PRIVATE_KEY_FILE) and calls the services, whichever address
 * it reaches the auth provider by (the assertion names the issuer from
 * discovery). A wrong key or a bad key file says what to fix.
 */
import assert from "node:assert/strict";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exportPKCS8, generateKeyPair } from "jose";
import { cliEnv, runCli, runNode, type CliResult } from "./support/cli.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
let keyFile: string;
const clientId = "key-bot";

before(async () => {
  system = await startSystem();
  keyFile = join(mkdtempSync(join(tmpdir(), "m2m-grpc-key-")), "key-bot.pem");
  const added = await runNode(
    "auth-provider/admin/main.js",
    ["--output", "json", "client", "add", clientId, "--grant", "note-service:note.read", "--grant", "note-service:note.write", "--key-out", keyFile],
    { DATA_DIR: system.dataDir },
  );
  assert.equal(added.code, 0, added.stderr);
  assert.doesNotMatch(added.stdout, /secret/i, "a key-only client gets no secret");
});
after(() => system?.stop());

const keyEnv = (extra: Record<string, string | undefined> = {}) => cliEnv(system, { ASSISTANT_CLIENT_ID: clientId, ASSISTANT_PRIVATE_KEY_FILE: keyFile, ...extra });

function ok(result: CliResult): string {
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

describe("private_key_jwt", () => {
  test("--key-out wrote the private key readable by its owner only", () => {
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  });

  test("the assistant authenticates with the key and calls the service", async () => {
    const env = keyEnv();
    const created = JSON.parse(ok(await runCli(["--output", "json", "note", "add", "signed with a key"], env))) as { note: { id: string; createdBy: string } };
    assert.equal(created.note.createdBy, clientId);
    assert.match(ok(await runCli(["note", "list"], env)), /signed with a key/);
  });

  test("another key is refused with a message naming the key file", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const otherKey = join(mkdtempSync(join(tmpdir(), "m2m-grpc-key-")), "other.pem");
    writeFileSync(otherKey, await exportPKCS8(privateKey), { mode: 0o600 });
    const result = await runCli(["note", "list"], keyEnv({ ASSISTANT_PRIVATE_KEY_FILE: otherKey }));
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /invalid_client/);
    assert.match(result.stderr, /ASSISTANT_PRIVATE_KEY_FILE/);
  });

  test("a key file without a client id, or with a secret as well, is a usage error", async () => {
    const noId = await runCli(["note", "list"], keyEnv({ ASSISTANT_CLIENT_ID: undefined }));
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /ASSISTANT_PRIVATE_KEY_FILE needs ASSISTANT_CLIENT_ID/);
    const both = await runCli(["note", "list"], keyEnv({ ASSISTANT_CLIENT_SECRET: "x".repeat(43) }));
    assert.equal(both.code, 2);
    assert.match(both.stderr, /not both/);
  });

  test("a file that is not a private key is a usage error", async () => {
    const notAKey = join(mkdtempSync(join(tmpdir(), "m2m-grpc-key-")), "junk.pem");
    writeFileSync(notAKey, "not a key\n");
    const result = await runCli(["note", "list"], keyEnv({ ASSISTANT_PRIVATE_KEY_FILE: notAKey }));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is not a PEM private key/);
  });
});
