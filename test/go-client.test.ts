/**
 * A Go client generated from proto/ with Debian's protoc, protoc-gen-go and
 * protoc-gen-go-grpc, built against Debian's grpc-go in GOPATH mode (.ci/run
 * installs them). The protos' go_package options alone place the generated
 * packages: no M mappings. Outside CI, a machine without the tools skips this
 * test and says which packages to install.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { projectRoot, runCommand } from "./support/commands.js";
import { assertNotesClientReport, notesClientEnv } from "./support/generated-client-report.js";
import { startSystem, type TestSystem } from "./support/system.js";

const packages = "golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc protobuf-compiler";
// Debian installs the Go libraries' sources here, for GOPATH mode.
const debianGoPath = "/usr/share/gocode";
const tools = ["/usr/bin/protoc", "/usr/bin/go", "/usr/bin/protoc-gen-go", "/usr/bin/protoc-gen-go-grpc"];
const libraries = ["google.golang.org/grpc", "google.golang.org/protobuf", "github.com/golang/protobuf"];

function missingTools(): string | undefined {
  const absent = [...tools, ...libraries.map((l) => join(debianGoPath, "src", l))].filter((path) => !existsSync(path));
  return absent.length ? `${absent.join(", ")} missing (apt-get install ${packages}, in one command)` : undefined;
}

const missing = missingTools();
if (missing && process.env["CI"]) throw new Error(`CI must run the Go client test: ${missing}`);

let system: TestSystem;
let out: string;
before(async () => {
  if (missing) return;
  system = await startSystem();
  out = mkdtempSync(join(tmpdir(), "m2m-grpc-go-"));
});
after(async () => {
  await system?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

test("a generated Go client lists, creates and watches notes and decodes the AuthError of each refusal", { skip: missing }, async () => {
  // GOPATH mode: protoc writes each package under src/<its go_package path>.
  const src = join(out, "src");
  mkdirSync(src);
  const protos = ["m2m/auth/v1/auth.proto", "m2m/notes/v1/notes.proto"];
  const generated = await runCommand("/usr/bin/protoc", ["-I", "proto", `--go_out=${src}`, `--go-grpc_out=${src}`, ...protos]);
  assert.equal(generated.code, 0, generated.stderr);
  assert.ok(existsSync(join(src, "m2m-grpc/gen/go/m2m/notes/v1/notes_grpc.pb.go")), "go_package places the notes package");

  const goEnv = { GO111MODULE: "off", GOPATH: `${out}:${debianGoPath}`, GOCACHE: join(out, "cache"), GOFLAGS: "" };
  const binary = join(out, "m2m_client");
  const built = await runCommand("/usr/bin/go", ["build", "-o", binary, join(projectRoot, "test/go/m2m_client.go")], { env: goEnv, timeoutMs: 150_000 });
  assert.equal(built.code, 0, `go build failed:\n${built.stderr}`);

  const result = await runCommand(binary, [], { env: await notesClientEnv(system.notes.url, system.token) });
  assert.equal(result.code, 0, `go client failed:\n${result.stdout}\n${result.stderr}`);
  assertNotesClientReport(result.stdout, system.credentials.clientId, "from go");
});
