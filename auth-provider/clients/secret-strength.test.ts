import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { generateClientSecret } from "./client-store.js";
import { estimatedSecretBits, weakSecretReason } from "./secret-strength.js";

test("secrets with at least 128 bits are accepted", () => {
  // Random ones many times over: the rules must never refuse an honest random secret.
  for (let i = 0; i < 2000; i++) {
    for (const secret of [randomBytes(16).toString("base64url"), randomBytes(16).toString("hex")]) assert.equal(weakSecretReason(secret), undefined, secret);
  }
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
    ["abcdefgh12345678", /at least 128 bits of entropy \(this one about 96\)/], // 16 characters: what was accepted before
    ["Tr0ub4dor&3xyzQW", /at least 128 bits/],
    ["a".repeat(64), /at least 8 different characters/],
    ["ab".repeat(40), /at least 8 different characters/],
    ["abcdefg".repeat(10), /at least 8 different characters/],
    ["x".repeat(1025), /at most 1024 characters/],
  ];
  for (const [secret, reason] of cases) assert.match(weakSecretReason(secret) ?? "accepted", reason, JSON.stringify(secret.slice(0, 20)));
});

test("the estimate: hex 4 bits a character, base64 and base64url 6, anything else by its character classes", () => {
  assert.equal(estimatedSecretBits("0123abcd"), 32);
  assert.equal(estimatedSecretBits("aB3-_xyz"), 48);
  assert.equal(estimatedSecretBits("aB3+/xyz=="), 48);
  assert.equal(estimatedSecretBits("ab c"), 4 * Math.log2(26 + 33));
  assert.equal(estimatedSecretBits("aB3!"), 4 * Math.log2(95));
  assert.equal(estimatedSecretBits(""), 0);
});
