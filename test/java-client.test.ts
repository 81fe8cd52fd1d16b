/**
 * A Java client generated from proto/ with Debian's protoc and
 * grpc_java_plugin, compiled and run with Debian's JDK against Debian's
 * grpc-java jars over Netty (.ci/run installs them). The protos' java_*
 * options name the packages and classes. Outside CI, a machine without the
 * tools skips this test and says which packages to install.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { projectRoot, runCommand } from "./support/commands.js";
import { assertNotesClientReport, notesClientEnv } from "./support/generated-client-report.js";
import { startSystem, type TestSystem } from "./support/system.js";

const packages =
  "default-jdk-headless libgrpc-java libprotobuf-java protobuf-compiler-grpc-java-plugin libguava-java libnetty-java libperfmark-java " +
  "libgoogle-common-protos-java libgeronimo-annotation-1.3-spec-java protobuf-compiler";
const javaDir = "/usr/share/java";
const plugin = "/usr/bin/grpc_java_plugin";
// Each Netty module on its own: Debian's netty-all.jar is an empty shell. geronimo-annotation provides
// the javax.annotation.Generated the generated stubs carry.
const jars = [
  "grpc-api", "grpc-context", "grpc-core", "grpc-netty", "grpc-protobuf", "grpc-protobuf-lite", "grpc-stub",
  "protobuf", "proto-google-common-protos", "guava", "perfmark-api", "geronimo-annotation-1.3-spec",
  "netty-buffer", "netty-codec", "netty-codec-http", "netty-codec-http2", "netty-common", "netty-handler", "netty-resolver", "netty-transport",
].map((name) => join(javaDir, `${name}.jar`));

function missingTools(): string | undefined {
  const absent = ["/usr/bin/protoc", plugin, "/usr/bin/javac", "/usr/bin/java", ...jars].filter((path) => !existsSync(path));
  return absent.length ? `${absent.join(", ")} missing (apt-get install ${packages})` : undefined;
}

const missing = missingTools();
if (missing && process.env["CI"]) throw new Error(`CI must run the Java client test: ${missing}`);

let system: TestSystem;
let out: string;
before(async () => {
  if (missing) return;
  system = await startSystem();
  out = mkdtempSync(join(tmpdir(), "m2m-grpc-java-"));
});
after(async () => {
  await system?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

function javaFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".java"))
    .map((entry) => join(entry.parentPath, entry.name));
}

test("a generated Java client lists, creates and watches notes and decodes the AuthError of each refusal", { skip: missing }, async () => {
  const sources = join(out, "gen");
  const classes = join(out, "classes");
  mkdirSync(sources);
  mkdirSync(classes);
  const protos = ["m2m/auth/v1/auth.proto", "m2m/notes/v1/notes.proto"];
  const generated = await runCommand("/usr/bin/protoc", ["-I", "proto", `--java_out=${sources}`, `--grpc-java_out=${sources}`, `--plugin=protoc-gen-grpc-java=${plugin}`, ...protos]);
  assert.equal(generated.code, 0, generated.stderr);
  assert.ok(existsSync(join(sources, "m2mgrpc/notes/v1/NoteServiceGrpc.java")), "java_package places the notes stubs");

  const classpath = jars.join(":");
  const compiled = await runCommand("/usr/bin/javac", ["-nowarn", "-cp", classpath, "-d", classes, ...javaFilesUnder(sources), join(projectRoot, "test/java/M2mClient.java")], {
    timeoutMs: 150_000,
  });
  assert.equal(compiled.code, 0, `javac failed:\n${compiled.stdout}\n${compiled.stderr}`);

  const result = await runCommand("/usr/bin/java", ["-cp", `${classes}:${classpath}`, "M2mClient"], {
    env: await notesClientEnv(system.notes.url, system.token),
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 0, `java client failed:\n${result.stdout}\n${result.stderr}`);
  assertNotesClientReport(result.stdout, system.credentials.clientId, "from java");
});
