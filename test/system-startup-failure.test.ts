/**
 * startSystem when a part fails to start (issue 12, item 6): it must stop every part it already started and
 * rethrow, rather than leave the auth provider (and the other service) running, which kept the test file alive
 * until --test-timeout. Leftovers are found as this process's children and killed, so the test fails, not hangs.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { startSystem } from "./support/system.js";

/** This process's child processes running one of the system's entry points, as "pid args". */
function runningParts(): string[] {
  let listing = "";
  try {
    listing = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" });
  } catch {
    return []; // ps exits with 1 when there is no child at all
  }
  return listing
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /(auth-provider|calendar|notes)\/main\.js/.test(line));
}

test("a service that cannot start: startSystem rejects with its error and leaves nothing running", async () => {
  assert.deepEqual(runningParts(), [], "nothing running before");
  try {
    // notes refuses the setting and exits with 2; the auth provider and calendar start fine.
    await assert.rejects(startSystem({ serviceEnv: { notes: { SERVICE_MAX_WATCHES_PER_ADDRESS: "0" } } }), (err: Error) => {
      assert.match(err.message, /notes\/main\.js exited with 2 before listening/);
      assert.match(err.message, /SERVICE_MAX_WATCHES_PER_ADDRESS/);
      return true;
    });
    assert.deepEqual(runningParts(), [], "the auth provider and calendar were stopped");
  } finally {
    for (const line of runningParts()) process.kill(Number(line.split(" ")[0]), "SIGKILL");
  }
});
