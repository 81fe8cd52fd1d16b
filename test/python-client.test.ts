/**
 * A Python client generated from proto/ with Debian's protoc and
 * grpc_python_plugin, run with Debian's python3-grpcio (.ci/run installs
 * them). Outside CI, a machine without them skips this test and says why.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generatePythonStubs, missingPythonTools, runPythonClient } from "./support/python-client.js";
import { startSystem, type TestSystem } from "./support/system.js";

const missing = await missingPythonTools();
if (missing && process.env["CI"]) throw new Error(`CI must run the Python client test: ${missing}`);

let system: TestSystem;
let out: string;
before(async () => {
  if (missing) return;
  system = await startSystem();
  out = mkdtempSync(join(tmpdir(), "m2m-grpc-python-"));
});
after(async () => {
  await system?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

test("a generated Python client calls both services and sees the specified status codes", { skip: missing }, async () => {
  const generated = await generatePythonStubs(out);
  assert.equal(generated.code, 0, generated.stderr);

  const result = await runPythonClient({
    stubs: out,
    authUrl: system.auth.url,
    calendarUrl: system.calendar.url,
    notesUrl: system.notes.url,
    clientId: system.credentials.clientId,
    clientSecret: system.credentials.clientSecret,
  });
  assert.equal(result.code, 0, `python client failed:\n${result.stdout}\n${result.stderr}`);
  const checks = JSON.parse(result.stdout) as Record<string, string>;
  assert.equal(Object.keys(checks).length, 11);
  for (const [name, outcome] of Object.entries(checks)) assert.equal(outcome, "ok", name);
});
