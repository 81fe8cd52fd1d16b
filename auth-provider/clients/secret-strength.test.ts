import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { generateClientSecret } from "./client-store.js";
import { estimatedSecretBits, weakSecretReason } from "./secret-strength.js";

test("secrets with at least 128 bits are accepted", () => {
  for (const secret of [
    generateClientSecret(),
    randomBytes(16).toString("base64url"), // 22 characters: 132 bits
    randomBytes(16).toString("hex"), // 32 hex digits
    "correct-Horse-battery-staple-9-ocean", // long mixed passphrase
  ]) {
    assert.equal(weakSecretReason(secret), undefined, secret);
  }
});

test("short, repetitive or oversized secrets are refused with the reason", () => {
  const cases: [string, RegExp][] = [
    ["", /non-empty/],
    ["abcdefgh12345678", /at least 128 bits of entropy \(this one about 82\)/], // 16 characters: what was accepted before
    ["Tr0ub4dor&3xyzQW", /at least 128 bits/],
    ["a".repeat(64), /more than a quarter/],
    ["ab".repeat(40), /more than a quarter/],
    ["x".repeat(1025), /at most 1024 characters/],
  ];
  for (const [secret, reason] of cases) assert.match(weakSecretReason(secret) ?? "accepted", reason, JSON.stringify(secret.slice(0, 20)));
});

test("the estimate is length × log2 of the classes used", () => {
  assert.equal(estimatedSecretBits("abc"), 3 * Math.log2(26));
  assert.equal(estimatedSecretBits("aB3"), 3 * Math.log2(62));
  assert.equal(estimatedSecretBits("aB3-"), 4 * Math.log2(95));
  assert.equal(estimatedSecretBits(""), 0);
});
