/**
 * Unit tests of the encryption at rest of private keys: round trip, a fresh
 * nonce per seal, refusal under another KEK, another label or altered bytes,
 * and the KEK file rules (32 bytes of base64, errors naming the setting).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../common/env.js";
import { readKeyEncryptionKey, seal, SealedValueError, unseal } from "./key-encryption.js";

const kek = { key: randomBytes(32) };
const secret = Buffer.from(JSON.stringify({ kty: "EC", d: "private-part" }));

describe("key encryption at rest", () => {
  it("round-trips, with a fresh nonce each time and no plaintext in the sealed value", () => {
    const a = seal(kek, "kid-1", secret);
    const b = seal(kek, "kid-1", secret);
    assert.notEqual(a, b);
    assert.ok(!a.includes("private-part"));
    assert.deepEqual(unseal(kek, "kid-1", a), secret);
    assert.deepEqual(unseal(kek, "kid-1", b), secret);
  });

  it("refuses another KEK and another label (the kid is authenticated)", () => {
    const sealed = seal(kek, "kid-1", secret);
    assert.throws(() => unseal({ key: randomBytes(32) }, "kid-1", sealed), SealedValueError);
    assert.throws(() => unseal(kek, "kid-2", sealed), SealedValueError);
  });

  it("refuses altered ciphertext, tag or nonce, and malformed values", () => {
    const sealed = seal(kek, "kid-1", secret);
    const bytes = Buffer.from(sealed.slice(3), "base64url");
    for (const index of [0, 12, 28, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      altered[index] = altered[index]! ^ 1;
      assert.throws(() => unseal(kek, "kid-1", `v1.${altered.toString("base64url")}`), SealedValueError, `byte ${index}`);
    }
    assert.throws(() => unseal(kek, "kid-1", "v2.abc"), SealedValueError);
    assert.throws(() => unseal(kek, "kid-1", "v1.abc"), SealedValueError);
  });

  it("reads a KEK file of 32 base64 bytes and refuses anything else, naming the setting and how to make one", () => {
    const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-kek-"));
    try {
      const good = join(dir, "good");
      writeFileSync(good, `${randomBytes(32).toString("base64")}\n`);
      assert.equal(readKeyEncryptionKey(good).key.length, 32);
      const cases: [string, string | undefined][] = [
        ["short", randomBytes(16).toString("base64")],
        ["long", randomBytes(48).toString("base64")],
        ["not-base64", "this is not base64 at all, sorry!!"],
        ["missing", undefined],
      ];
      for (const [name, content] of cases) {
        const file = join(dir, name);
        if (content !== undefined) writeFileSync(file, content);
        assert.throws(() => readKeyEncryptionKey(file), (err: unknown) => {
          assert.ok(err instanceof ConfigError, name);
          assert.match(err.message, /AUTH_KEY_ENCRYPTION_KEY_FILE/);
          assert.match(err.message, /openssl rand -base64 32 > FILE/);
          if (content !== undefined) assert.ok(!err.message.includes(content), "never shows the content");
          return true;
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
