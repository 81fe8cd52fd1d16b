/** Unit tests of the client store over an in-memory SQLite database. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { beforeEach, describe, it } from "node:test";
import Database from "better-sqlite3";
import { createClientStore, generateClientSecret, type ClientStore, type NewClient } from "./client-store.js";

const secret = generateClientSecret();
const client: NewClient = {
  clientId: "cron",
  secret,
  scopes: ["calendar.read", "note.read"],
  audiences: ["calendar-service"],
  grantTypes: ["client_credentials"],
};

describe("client store", () => {
  let db: Database.Database;
  let store: ClientStore;
  beforeEach(() => {
    db = new Database(":memory:");
    store = createClientStore(db, randomBytes(32));
  });

  it("registers and finds a client, without its secret", () => {
    const record = store.register(client);
    assert.deepEqual(store.find("cron"), record);
    assert.deepEqual(record.scopes, ["calendar.read", "note.read"]);
    assert.deepEqual(record.audiences, ["calendar-service"]);
    assert.deepEqual(record.grantTypes, ["client_credentials"]);
    assert.equal(record.tokenTtlSeconds, undefined);
    assert.equal(record.disabled, false);
    assert.ok(!JSON.stringify(record).includes(secret));
    assert.equal(store.find("other"), undefined);
  });

  it("stores only an HMAC of the secret", () => {
    store.register(client);
    const row = db.prepare("SELECT * FROM clients").get() as Record<string, unknown>;
    assert.match(String(row["secret_hash"]), /^[0-9a-f]{64}$/);
    assert.ok(!Object.values(row).some((v) => String(v).includes(secret)));
  });

  it("authenticates the right secret only", () => {
    store.register(client);
    assert.equal(store.authenticate("cron", secret)?.clientId, "cron");
    assert.equal(store.authenticate("cron", secret + "x"), undefined);
    assert.equal(store.authenticate("nobody", secret), undefined);
  });

  it("does not authenticate a disabled client, and does again once re-enabled", () => {
    store.register(client);
    store.setDisabled("cron", true);
    assert.equal(store.authenticate("cron", secret), undefined);
    assert.equal(store.find("cron")?.disabled, true);
    store.setDisabled("cron", false);
    assert.equal(store.authenticate("cron", secret)?.clientId, "cron");
  });

  it("replaces a secret", () => {
    store.register(client);
    const next = generateClientSecret();
    store.setSecret("cron", next);
    assert.equal(store.authenticate("cron", secret), undefined);
    assert.equal(store.authenticate("cron", next)?.clientId, "cron");
    assert.throws(() => store.setSecret("nobody", next), /does not exist/);
  });

  it("does not match secrets hashed under another key", () => {
    store.register(client);
    const other = createClientStore(db, randomBytes(32));
    assert.equal(other.authenticate("cron", secret), undefined);
  });

  it("refuses a taken client id and invalid fields", () => {
    store.register(client);
    assert.throws(() => store.register(client), /already exists/);
    assert.throws(() => store.register({ ...client, clientId: "has space" }), TypeError);
    assert.throws(() => store.register({ ...client, clientId: "x", secret: "short" }), TypeError);
    assert.throws(() => store.register({ ...client, clientId: "x", scopes: [] }), TypeError);
    assert.throws(() => store.register({ ...client, clientId: "x", scopes: ["a b"] }), TypeError);
    assert.throws(() => store.register({ ...client, clientId: "x", audiences: ['"q"'] }), TypeError);
    assert.throws(() => store.register({ ...client, clientId: "x", tokenTtlSeconds: 10 }), TypeError);
  });

  it("keeps a client's own token lifetime", () => {
    assert.equal(store.register({ ...client, tokenTtlSeconds: 600 }).tokenTtlSeconds, 600);
  });

  it("lists the scopes of enabled clients", () => {
    store.register(client);
    store.register({ ...client, clientId: "other", scopes: ["calendar.write"] });
    store.register({ ...client, clientId: "off", scopes: ["admin"] });
    store.setDisabled("off", true);
    assert.deepEqual(store.allScopes(), ["calendar.read", "calendar.write", "note.read"]);
  });

  it("makes 32-byte base64url secrets", () => {
    assert.match(generateClientSecret(), /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(generateClientSecret(), generateClientSecret());
  });
});
