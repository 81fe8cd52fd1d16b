import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createTokenCache, tokenCacheKey } from "./token-cache.js";

const dir = () => mkdtempSync(join(tmpdir(), "m2m-grpc-token-cache-"));
const key = tokenCacheKey("http://localhost:3001", "assistant", "note-service", "note.read");

test("a token is kept on disk, readable by the user only, and found by the next process", () => {
  const file = join(dir(), "m2m-grpc", "tokens.json");
  createTokenCache({ file, now: () => 0 }).put(key, { accessToken: "t1", tokenType: "Bearer", expiresAt: 3_600_000, scope: "note.read" });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(file, "..")).mode & 0o777, 0o700);
  assert.equal(createTokenCache({ file, now: () => 1000 }).get(key)?.accessToken, "t1");
});

test("a token within the refresh margin of its expiry is not reused, and expired ones are not written", () => {
  const file = join(dir(), "tokens.json");
  let now = 0;
  const cache = createTokenCache({ file, now: () => now, refreshMarginMs: 60_000 });
  cache.put(key, { accessToken: "t1", tokenType: "Bearer", expiresAt: 100_000, scope: "note.read" });
  now = 39_999;
  assert.ok(cache.get(key));
  now = 40_001;
  assert.equal(cache.get(key), undefined);
  now = 200_000;
  cache.put("other", { accessToken: "t2", tokenType: "Bearer", expiresAt: 900_000, scope: "x" });
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, "utf8"))), ["other"]);
});

test("delete drops a token from memory and disk", () => {
  const file = join(dir(), "tokens.json");
  const cache = createTokenCache({ file, now: () => 0 });
  cache.put(key, { accessToken: "t1", tokenType: "Bearer", expiresAt: 3_600_000, scope: "note.read" });
  cache.delete(key);
  assert.equal(createTokenCache({ file, now: () => 0 }).get(key), undefined);
});

test("a corrupt or unwritable cache file is ignored, never fatal", () => {
  const root = dir();
  const corrupt = join(root, "tokens.json");
  writeFileSync(corrupt, "{not json");
  assert.equal(createTokenCache({ file: corrupt }).get(key), undefined);
  writeFileSync(join(root, "a-file"), "");
  const unwritable = createTokenCache({ file: join(root, "a-file", "tokens.json"), now: () => 0 });
  unwritable.put(key, { accessToken: "t1", tokenType: "Bearer", expiresAt: 3_600_000, scope: "note.read" });
  assert.equal(unwritable.get(key)?.accessToken, "t1", "still cached in memory");
});

test("each token keeps its type; an entry written before DPoP is a Bearer token", () => {
  const file = join(dir(), "tokens.json");
  const dpopKey = tokenCacheKey("http://localhost:3001", "assistant", "note-service", "note.read", { dpopKey: "thumb" });
  createTokenCache({ file, now: () => 0 }).put(dpopKey, { accessToken: "t1", tokenType: "DPoP", expiresAt: 3_600_000, scope: "note.read" });
  assert.equal(createTokenCache({ file, now: () => 0 }).get(dpopKey)?.tokenType, "DPoP");
  writeFileSync(file, JSON.stringify({ [key]: { accessToken: "old", expiresAt: 3_600_000, scope: "note.read" }, odd: { accessToken: "x", tokenType: "MAC", expiresAt: 3_600_000, scope: "" } }));
  const cache = createTokenCache({ file, now: () => 0 });
  assert.equal(cache.get(key)?.tokenType, "Bearer");
  assert.equal(cache.get("odd"), undefined, "an unknown token type is dropped");
});

test("tokens bound to a DPoP key or a client certificate have keys of their own; an unbound one keeps the key it had", () => {
  const plain = tokenCacheKey("http://localhost:3001", "assistant", "note-service", "note.read", {});
  assert.equal(plain, JSON.stringify(["http://localhost:3001", "assistant", "note-service", "note.read"]));
  const keys = new Set([
    plain,
    tokenCacheKey("http://localhost:3001", "assistant", "note-service", "note.read", { dpopKey: "a" }),
    tokenCacheKey("http://localhost:3001", "assistant", "note-service", "note.read", { dpopKey: "b" }),
    tokenCacheKey("http://localhost:3001", "assistant", "note-service", "note.read", { certificate: "a" }),
    tokenCacheKey("http://localhost:3001", "assistant", "note-service", "note.read", { dpopKey: "a", certificate: "a" }),
  ]);
  assert.equal(keys.size, 5);
});
