/**
 * gen/ is committed; this fails when it differs from a fresh `buf generate`
 * of proto/, and when proto/ breaks buf's STANDARD lint rules.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
// Through npx, as buf must find protoc-gen-es on the PATH npm sets up.
const buf = (args: string[]) => execFileSync("npx", ["--no-install", "buf", ...args], { cwd: root, encoding: "utf8", stdio: "pipe" });

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(relative(dir, path), readFileSync(path, "utf8"));
    }
  }
  return files;
}

test("gen/ matches a fresh buf generate of proto/", () => {
  const out = mkdtempSync(join(tmpdir(), "m2m-grpc-gen-"));
  try {
    buf(["generate", "-o", out]);
    const fresh = filesUnder(join(out, "gen"));
    const committed = filesUnder(join(root, "gen"));
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), "the same files; run `npm run generate` and commit gen/");
    for (const [path, content] of fresh) {
      assert.ok(committed.get(path) === content, `gen/${path} is out of date; run \`npm run generate\` and commit gen/`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("proto/ passes buf lint", () => {
  assert.doesNotThrow(() => buf(["lint"]));
});
