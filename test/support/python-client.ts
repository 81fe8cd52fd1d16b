/**
 * The Python client of test/python/m2m_client.py: stubs generated from proto/
 * with Debian's protoc and grpc_python_plugin, run with Debian's python3-grpcio
 * (.ci/run installs them). Used by python-client.test.ts and
 * unary-fast-path.test.ts; a machine without the tools skips those tests.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, runCommand, type CommandResult } from "./commands.js";

export const python = "/usr/bin/python3";
const plugin = "/usr/bin/grpc_python_plugin";

/** Why the Python client cannot run here, or undefined when it can. */
export async function missingPythonTools(): Promise<string | undefined> {
  if (!existsSync("/usr/bin/protoc") || !existsSync(plugin)) return "protoc or grpc_python_plugin is not installed (apt: protobuf-compiler protobuf-compiler-grpc)";
  const probe = await runCommand(python, ["-c", "import grpc, google.protobuf"]);
  if (probe.code !== 0) return "python3-grpcio or python3-protobuf is not installed";
  return undefined;
}

/** Generates the Python stubs of the auth, calendar and notes protos into `out`. */
export function generatePythonStubs(out: string): Promise<CommandResult> {
  const protos = ["m2m/auth/v1/auth.proto", "m2m/calendar/v1/calendar.proto", "m2m/notes/v1/notes.proto"];
  return runCommand("/usr/bin/protoc", ["-I", "proto", `--python_out=${out}`, `--grpc_out=${out}`, `--plugin=protoc-gen-grpc=${plugin}`, ...protos], { cwd: projectRoot });
}

export interface PythonClientTargets {
  /** The stubs' directory (generatePythonStubs). */
  stubs: string;
  authUrl: string;
  calendarUrl: string;
  notesUrl: string;
  clientId: string;
  clientSecret: string;
}

/** Runs test/python/m2m_client.py: it prints a JSON object of checks ("ok" or what failed). */
export function runPythonClient(targets: PythonClientTargets): Promise<CommandResult> {
  const hostPort = (url: string) => new URL(url).host;
  return runCommand(python, [join(projectRoot, "test/python/m2m_client.py")], {
    env: {
      PYTHONPATH: targets.stubs,
      AUTH_URL: targets.authUrl,
      CALENDAR_ADDR: hostPort(targets.calendarUrl),
      NOTES_ADDR: hostPort(targets.notesUrl),
      CLIENT_ID: targets.clientId,
      CLIENT_SECRET: targets.clientSecret,
    },
  });
}
