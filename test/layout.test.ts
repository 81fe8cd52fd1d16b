/**
 * The layout rule, checked: nothing in the product imports from test/ or
 * bench/, tests that start processes live under test/, and the production
 * build (dist/, what npm start runs) holds no test or benchmark code and is
 * built in place: starting a part never deletes modules others are running.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../..", import.meta.url));
const productFolders = ["gen", "common", "auth-provider", "interceptor", "service-runtime", "calendar", "notes", "assistant-cli", "cluster"];

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

const sources = productFolders.flatMap((folder) => filesUnder(join(root, folder), (name) => /\.tsx?$/.test(name)));
const importSpecifier = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

test("no product file imports from test/ or bench/", () => {
  const offenders: string[] = [];
  for (const file of sources.filter((f) => !/\.test\.tsx?$/.test(f))) {
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(importSpecifier)) {
      const target = relative(root, resolve(dirname(file), specifier!));
      if (/^(test|bench)\//.test(target)) offenders.push(`${relative(root, file)} imports ${target}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test("unit tests beside the code start no processes", () => {
  const offenders = sources
    .filter((f) => /\.test\.tsx?$/.test(f))
    .filter((f) => /startProcess|startSystem/.test(readFileSync(f, "utf8")))
    .map((f) => relative(root, f));
  assert.deepEqual(offenders, [], "tests that start processes belong under test/");
});

test("the production build holds no test or benchmark code", () => {
  const dist = join(root, "dist");
  assert.ok(existsSync(join(dist, "auth-provider", "main.js")), "npm test builds dist/ first");
  assert.deepEqual(filesUnder(dist, (name) => /\.test\.js$/.test(name)).map((f) => relative(root, f)), []);
  for (const folder of ["test", "bench"]) assert.ok(!existsSync(join(dist, folder)), `dist/${folder} exists`);
});

test("building again (as every npm start does) deletes and rewrites nothing in dist/ when the sources are unchanged", async () => {
  const dist = join(root, "dist");
  const before = new Map(filesUnder(dist, () => true).map((f) => [f, statSync(f).mtimeMs]));
  await promisify(execFile)("npm", ["run", "--silent", "build"], { cwd: root, timeout: 60_000 });
  const after = new Map(filesUnder(dist, () => true).map((f) => [f, statSync(f).mtimeMs]));
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), "the same files");
  const rewritten = [...after].filter(([f, mtime]) => before.get(f) !== mtime).map(([f]) => relative(root, f));
  assert.deepEqual(rewritten, []);
});
