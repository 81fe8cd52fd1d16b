/**
 * Unit tests of key rotation with frozen times: what signs and what is
 * published before, at and after activation and retirement; the file format
 * (version 1 still loads, version 2 round-trips); the locked rewrite; and the
 * signer capping tokens of an outgoing key.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { calculateJwkThumbprint, decodeJwt } from "jose";
import { createAccessTokenSigner } from "../token/access-token-signer.js";
import { openAuthDatabase } from "../storage/auth-database.js";
import { createIssuerKeysFile, generateSigningKey, jwkThumbprint, parseIssuerKeysFile, serializeIssuerKeysFile } from "./key-file-format.js";
import { loadOrCreateIssuerKeys, updateIssuerKeys } from "./key-file.js";
import { importKeyRing, keyStatuses, publishedJwks, signingKeyAt } from "./key-ring.js";
import { RotationPendingError, pruneRetiredKeys, rotateSigningKey } from "./key-rotation.js";

const t0 = Date.UTC(2030, 0, 1);
const timing = { activationDelaySeconds: 15, maxTokenTtlSeconds: 600, retireMarginSeconds: 60 };
const kids = (jwks: { keys: readonly { kid: string }[] }) => jwks.keys.map((k) => k.kid);

describe("key rotation", () => {
  it("publishes the new key at once, signs with it after the delay, retires the old one after its tokens", async () => {
    const file = await createIssuerKeysFile(new Date(t0 - 86_400_000));
    const oldKid = file.currentKid;
    const newKey = await generateSigningKey(new Date(t0));
    const { file: rotated, activatesAt, retiring } = rotateSigningKey(file, newKey, t0, timing);
    const activation = t0 + 15_000;
    const retirement = activation + (600 + 60) * 1000;
    assert.equal(activatesAt, new Date(activation).toISOString());
    assert.deepEqual(retiring, [{ kid: oldKid, retiresAt: new Date(retirement).toISOString() }]);
    assert.equal(rotated.currentKid, newKey.kid);

    const moments: [string, number, string, string[]][] = [
      ["at rotation", t0, oldKid, [oldKid, newKey.kid]],
      ["just before activation", activation - 1, oldKid, [oldKid, newKey.kid]],
      ["at activation", activation, newKey.kid, [oldKid, newKey.kid]],
      ["just before retirement", retirement - 1, newKey.kid, [oldKid, newKey.kid]],
      ["at retirement", retirement, newKey.kid, [newKey.kid]],
    ];
    for (const [name, now, signing, published] of moments) {
      assert.equal(signingKeyAt(rotated, now).kid, signing, `${name}: signing key`);
      assert.deepEqual(kids(publishedJwks(rotated, now)), published, `${name}: published keys`);
    }
    assert.deepEqual(keyStatuses(rotated, t0).map((s) => [s.state, s.current]), [["signing", true], ["next", false]]);
    assert.deepEqual(keyStatuses(rotated, activation).map((s) => s.state), ["retiring", "signing"]);
    assert.deepEqual(keyStatuses(rotated, retirement).map((s) => s.state), ["retired", "signing"]);

    assert.equal(pruneRetiredKeys(rotated, retirement - 1), undefined);
    const pruned = pruneRetiredKeys(rotated, retirement)!;
    assert.deepEqual(pruned.dropped, [oldKid]);
    assert.deepEqual(pruned.file.signingKeys.map((k) => k.kid), [newKey.kid]);
  });

  it("refuses to rotate again before the previous key signs, and drops retired keys when it rotates", async () => {
    const first = rotateSigningKey(await createIssuerKeysFile(), await generateSigningKey(), t0, timing).file;
    assert.throws(() => rotateSigningKey(first, { ...first.signingKeys[0]!, kid: "x" }, t0 + 14_999, timing), RotationPendingError);
    const later = t0 + 15_000 + 660_000;
    const third = await generateSigningKey();
    const second = rotateSigningKey(first, third, later, timing);
    assert.deepEqual(second.dropped, [first.signingKeys[0]!.kid]);
    assert.deepEqual(second.file.signingKeys.map((k) => k.kid), [first.currentKid, third.kid]);
  });

  it("writes version 1 until a key carries a time, and still loads version 1 files", async () => {
    const file = await createIssuerKeysFile();
    const v1 = JSON.parse(serializeIssuerKeysFile(file)) as { version: number };
    assert.equal(v1.version, 1);
    const legacy = { version: 1, currentKid: file.currentKid, signingKeys: file.signingKeys, clientSecretHashKey: file.clientSecretHashKey };
    const parsed = parseIssuerKeysFile(JSON.stringify(legacy), "issuer-keys.json");
    assert.equal(signingKeyAt(parsed, Date.now()).kid, file.currentKid);
    const rotated = rotateSigningKey(parsed, await generateSigningKey(), t0, timing).file;
    const text = serializeIssuerKeysFile(rotated);
    assert.equal((JSON.parse(text) as { version: number }).version, 2);
    assert.deepEqual(parseIssuerKeysFile(text, "issuer-keys.json"), { ...rotated, version: 2 });
    assert.throws(() => parseIssuerKeysFile(text.replace('"version": 2', '"version": 3'), "f.json"), /unknown version/);
  });

  it("computes kids as RFC 7638 thumbprints", async () => {
    const key = await generateSigningKey();
    assert.equal(jwkThumbprint(key.privateJwk), await calculateJwkThumbprint(key.privateJwk, "sha256"));
  });

  it("rewrites the file under the database lock, keeping the client secret hash key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-keys-"));
    try {
      const keys = await loadOrCreateIssuerKeys(dir);
      const db = openAuthDatabase(dir);
      try {
        const newKey = await generateSigningKey();
        updateIssuerKeys(db, keys.file, (current) => rotateSigningKey(current, newKey, Date.now(), timing));
        const stored = parseIssuerKeysFile(readFileSync(keys.file, "utf8"), keys.file);
        assert.equal(stored.currentKid, newKey.kid);
        assert.equal(stored.clientSecretHashKey, keys.stored.clientSecretHashKey);
        assert.throws(
          () => updateIssuerKeys(db, keys.file, (current) => ({ file: { ...current, clientSecretHashKey: "A".repeat(43) } })),
          /refusing to change the client secret hash key/,
        );
        writeFileSync(keys.file, "{}");
        assert.throws(() => updateIssuerKeys(db, keys.file, () => undefined), /not a valid issuer keys file/);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("caps the expiry of tokens signed by an outgoing key at its retirement minus the margin", async () => {
    const rotated = rotateSigningKey(await createIssuerKeysFile(), await generateSigningKey(), t0, { ...timing, maxTokenTtlSeconds: 60 }).file;
    const ring = await importKeyRing(rotated, 60);
    const signUntil = Math.floor((t0 + 15_000 + 120_000) / 1000) - 60;
    const now = t0 + 10_000;
    const signer = createAccessTokenSigner({ issuer: "http://x/auth", key: () => ring.signingKey(now), now: () => now });
    const grant = { clientId: "c", audience: "a", scopes: ["s"] };
    const capped = await signer.sign({ ...grant, ttlSeconds: 3600 });
    assert.equal(decodeJwt(capped.accessToken).exp, signUntil);
    assert.equal(capped.expiresIn, signUntil - Math.floor(now / 1000));
    const normal = await signer.sign({ ...grant, ttlSeconds: 60 });
    assert.equal(normal.expiresIn, 60, "a token within the key's life is not shortened");
  });
});
