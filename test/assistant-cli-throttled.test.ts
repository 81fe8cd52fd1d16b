/** The CLI when the auth provider slows down failed logins: one line, when to retry, exit code 4. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { cliEnv, runCli } from "./support/cli.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem({ authEnv: { AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "2" } });
});
after(() => system?.stop());

test("after repeated wrong secrets the CLI says the provider is slowing down and when to retry", async () => {
  const wrong = cliEnv(system, { ASSISTANT_CLIENT_ID: "assistant", ASSISTANT_CLIENT_SECRET: "not-the-secret-but-long-enough" });
  for (let i = 0; i < 2; i++) assert.match((await runCli(["note", "list"], wrong)).stderr, /rejected the assistant's credentials/);
  const throttled = await runCli(["note", "list"], wrong);
  assert.equal(throttled.code, 4);
  assert.match(throttled.stderr, /^assistant: the auth provider is slowing down token requests for this client \(slow_down: too many failed client authentications.*\) — try again in \d+ s\n$/);
});
