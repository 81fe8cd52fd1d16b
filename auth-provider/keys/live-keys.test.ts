/**
 * Unit tests of the running provider's view of the keys file, with a fake
 * clock and manual reloads: a rotation written by someone else shows up in
 * the JWKS, the signing key changes at activation without a reload, retired
 * keys are dropped from the file, and a broken file keeps the last good keys.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Logger } from "../../common/json-logger.js";
import { openAuthDatabase, type AuthDatabase } from "../storage/auth-database.js";
import { generateSigningKey, parseIssuerKeysFile } from "./key-file-format.js";
import { loadOrCreateIssuerKeys, updateIssuerKeys, type IssuerKeys } from "./key-file.js";
import { importKeyRing } from "./key-ring.js";
import { rotateSigningKey } from "./key-rotation.js";
import { startLiveIssuerKeys, type IssuerKeyEvent, type LiveIssuerKeys } from "./live-keys.js";

const logs: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
const logger: Logger = Object.fromEntries(
  (["debug", "info", "warn", "error"] as const).map((level) => [level, (msg: string, fields: Record<string, unknown> = {}) => logs.push({ level, msg, fields })]),
) as unknown as Logger;

describe("live issuer keys", () => {
  let dir: string;
  let keys: IssuerKeys;
  let db: AuthDatabase;
  let live: LiveIssuerKeys;
  const clock = { now: Date.now() };
  const keyEvents: IssuerKeyEvent[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "m2m-grpc-live-keys-"));
    keys = await loadOrCreateIssuerKeys(dir);
    db = openAuthDatabase(dir);
    const initial = await importKeyRing(keys.stored, 60);
    live = startLiveIssuerKeys({ file: keys.file, initial, db, retireMarginSeconds: 60, logger, reloadIntervalMs: 3_600_000, now: () => clock.now, onKeyEvent: (e) => void keyEvents.push(e) });
    await live.reload();
  });
  after(() => {
    live?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("follows a rotation through publication, activation and retirement", async () => {
    const oldKid = keys.stored.currentKid;
    const newKey = await generateSigningKey();
    const timing = { activationDelaySeconds: 15, maxTokenTtlSeconds: 60, retireMarginSeconds: 60 };
    updateIssuerKeys(db, keys.file, (current) => rotateSigningKey(current, newKey, clock.now, timing));
    const unrotated = live.jwks();
    assert.deepEqual(unrotated.keys.map((k) => k.kid), [oldKid], "not before the next reload");
    assert.equal(live.jwks(), unrotated, "the same object while the keys are unchanged (its body is prepared once)");
    await live.reload();
    const rotated = live.jwks();
    assert.deepEqual(rotated.keys.map((k) => k.kid), [oldKid, newKey.kid], "published at once");
    assert.notEqual(rotated, unrotated);
    assert.equal(live.signingKey().kid, oldKid, "the old key still signs");
    assert.deepEqual(live.keyStates(), ["signing", "next"]);

    clock.now += 15_000;
    assert.equal(live.signingKey().kid, newKey.kid, "signs with the new key at activation, without a reload");
    assert.equal(live.jwks(), rotated, "activation does not change the JWKS");
    await live.reload();
    assert.ok(logs.some((l) => l.msg === "signing with a new key" && l.fields["kid"] === newKey.kid));

    clock.now += 120_000;
    assert.deepEqual(live.jwks().keys.map((k) => k.kid), [newKey.kid], "the old key has left the JWKS");
    assert.notEqual(live.jwks(), rotated);
    await live.reload();
    const stored = parseIssuerKeysFile(readFileSync(keys.file, "utf8"), keys.file);
    assert.deepEqual(stored.signingKeys.map((k) => k.kid), [newKey.kid], "and the file");
    assert.ok(logs.some((l) => l.msg === "dropped retired signing keys"));
    assert.deepEqual(keyEvents, [{ kind: "activated", kid: newKey.kid }, { kind: "retired", kid: oldKid }], "for the audit trail");
  });

  it("keeps the last good keys when the file breaks, and logs it once", async () => {
    const before = live.jwks();
    const good = readFileSync(keys.file, "utf8");
    writeFileSync(keys.file, "{broken");
    await live.reload();
    await live.reload();
    assert.deepEqual(live.jwks(), before);
    assert.equal(logs.filter((l) => l.level === "error").length, 1);
    assert.match(String(logs.find((l) => l.level === "error")!.fields["error"]), /not JSON/);
    writeFileSync(keys.file, good);
    await live.reload();
    assert.deepEqual(live.jwks(), before);
  });
});
