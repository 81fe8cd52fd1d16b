/**
 * The DPoP key file: made on first use with mode 0600 in a 0700 directory, reused by later runs, never made by a
 * mere look; a damaged file is a usage error saying what to do; an unwritable place gives a key for one run.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CliError } from "../common/cli-error.js";
import { createDpopKeyStore } from "./dpop-key.js";

const dir = () => mkdtempSync(join(tmpdir(), "m2m-grpc-dpop-key-"));

test("the key is made on first use, private to the user, and the next run finds the same key", () => {
  const file = join(dir(), "m2m-grpc", "dpop-key.json");
  const store = createDpopKeyStore(file);
  assert.equal(store.existing(), undefined);
  assert.equal(existsSync(file), false, "looking does not make a key");
  const made = createDpopKeyStore(file).getOrCreate();
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(file, "..")).mode & 0o777, 0o700);
  const saved = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  assert.equal(saved["kty"], "EC");
  assert.equal(saved["crv"], "P-256");
  assert.equal(typeof saved["d"], "string");
  assert.equal(createDpopKeyStore(file).existing()?.thumbprint, made.thumbprint);
  assert.equal(createDpopKeyStore(file).getOrCreate().thumbprint, made.thumbprint);
});

test("a file that is not a P-256 private JWK is a usage error that says how to fix it", () => {
  const cases = ["{not json", JSON.stringify({ kty: "RSA", n: "x", e: "AQAB" }), JSON.stringify({ kty: "EC", crv: "P-256", x: "AA", y: "AA" }), JSON.stringify({ kty: "EC", crv: "P-256", x: "AA", y: "AA", d: "AA" })];
  for (const content of cases) {
    const file = join(dir(), "dpop-key.json");
    writeFileSync(file, content, { mode: 0o600 });
    assert.throws(
      () => createDpopKeyStore(file).getOrCreate(),
      (err: unknown) => err instanceof CliError && err.exitCode === 2 && err.message.includes(file) && /delete it.*--no-dpop/.test(err.message),
      content,
    );
  }
});

test("where the key cannot be saved, it lives for this run", () => {
  const root = dir();
  writeFileSync(join(root, "a-file"), "");
  const store = createDpopKeyStore(join(root, "a-file", "dpop-key.json"));
  const key = store.getOrCreate();
  assert.equal(store.getOrCreate(), key, "the same key for the whole run");
});
