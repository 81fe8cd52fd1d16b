/** `npm run demo` against the real system: every step runs and every expected rejection happens. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { cliEnv } from "./support/cli.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

test("npm run demo shows each protection refusing its call", async () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) => {
    execFile("npm", ["run", "--silent", "demo"], { cwd: root, env: { ...process.env, ...cliEnv(system) }, timeout: 60_000 }, (err, stdout) =>
      resolve({ stdout, code: err ? Number((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
  assert.equal(code, 0, stdout);
  assert.match(stdout, /calendar token: aud=\["calendar-service"\] scp=\["calendar.read","calendar.write"\]/);
  assert.match(stdout, /refused as expected: Unauthenticated: the access token is for "calendar-service", not for note-service/);
  assert.match(stdout, /refused as expected: PermissionDenied: the access token lacks the scope note\.write/);
  assert.match(stdout, /refused as expected: Unauthenticated: the access token's signature does not verify/);
  assert.match(stdout, /refused as expected: Unauthenticated: no key of the auth provider matches the token's key id "attacker"/);
  // Least privilege: a client granted only note-service:note.read.
  assert.match(stdout, /refused as expected: invalid_scope: .*note\.write/);
  assert.match(stdout, /refused as expected: invalid_target: .*calendar-service/);
  assert.match(stdout, /refused as expected: PermissionDenied: the access token lacks the scope note\.write \(it grants note\.read\)/);
  // Revocation: the removed client's token, then one revoked token, refused within seconds.
  assert.equal([...stdout.matchAll(/refused as expected after \d+\.\d s: Unauthenticated: .*revoked/g)].length, 2, stdout);
  assert.match(stdout, /Every protection held\.$/m);
  assert.doesNotMatch(stdout, /PROBLEM/);
});
