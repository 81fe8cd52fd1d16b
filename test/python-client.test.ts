/**
 * A Python client generated from proto/ with Debian's protoc and
 * grpc_python_plugin, run with Debian's python3-grpcio (.ci/run installs
 * them). Outside CI, a machine without them skips this test and says why.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { projectRoot, runCommand } from "./support/commands.js";
import { startSystem, type TestSystem } from "./support/system.js";

const python = "/usr/bin/python3";
const plugin = "/usr/bin/grpc_python_plugin";

async function missingTools(): Promise<string | undefined> {
  if (!existsSync("/usr/bin/protoc") || !existsSync(plugin)) return "protoc or grpc_python_plugin is not installed (apt: protobuf-compiler protobuf-compiler-grpc)";
  const probe = await runCommand(python, ["-c", "import grpc, google.protobuf"]);
  if (probe.code !== 0) return "python3-grpcio or python3-protobuf is not installed";
  return undefined;
}

const missing = await missingTools();
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
  const protos = ["m2m/auth/v1/auth.proto", "m2m/calendar/v1/calendar.proto", "m2m/notes/v1/notes.proto"];
  const generated = await runCommand("/usr/bin/protoc", ["-I", "proto", `--python_out=${out}`, `--grpc_out=${out}`, `--plugin=protoc-gen-grpc=${plugin}`, ...protos], {
    cwd: projectRoot,
  });
  assert.equal(generated.code, 0, generated.stderr);

  const hostPort = (url: string) => new URL(url).host;
  const result = await runCommand(python, [join(projectRoot, "test/python/m2m_client.py")], {
    env: {
      PYTHONPATH: out,
      AUTH_URL: system.auth.url,
      CALENDAR_ADDR: hostPort(system.calendar.url),
      NOTES_ADDR: hostPort(system.notes.url),
      CLIENT_ID: system.credentials.clientId,
      CLIENT_SECRET: system.credentials.clientSecret,
    },
  });
  assert.equal(result.code, 0, `python client failed:\n${result.stdout}\n${result.stderr}`);
  const checks = JSON.parse(result.stdout) as Record<string, string>;
  assert.equal(Object.keys(checks).length, 11);
  for (const [name, outcome] of Object.entries(checks)) assert.equal(outcome, "ok", name);
});
