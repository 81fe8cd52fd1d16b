/**
 * Unit tests of the client store over an in-memory SQLite database, including
 * a trace of the steps authenticate() takes, which must be the same for an
 * unknown client id as for a wrong secret (issue 11, item 7).
 */
import assert from "node:assert/strict";
import crypto, { randomBytes } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
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

// The database with every statement call traced: its SQL, how many arguments and the shape of what it returned.
function tracingDatabase(db: Database.Database, trace: string[]): Database.Database {
  const shape = (value: unknown): string => {
    if (typeof value !== "object" || value === null) return String(value);
    const fields = Object.entries(value).map(([k, v]) => `${k}:${typeof v}${typeof v === "string" ? `(${v.length})` : ""}`);
    return `{${fields.sort().join(" ")}}`;
  };
  const traced = (sql: string, statement: object) =>
    new Proxy(statement, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name, target);
        if (typeof value !== "function" || !["get", "all", "run"].includes(String(name))) return value;
        return (...args: unknown[]) => {
          const result: unknown = Reflect.apply(value, target, args);
          trace.push(`sql ${String(name)} ${sql.replace(/\s+/g, " ")} (${args.length} args) → ${shape(result)}`);
          return result;
        };
      },
    });
  return new Proxy(db, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (name === "prepare") return (sql: string) => traced(sql, target.prepare(sql));
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("client store: authenticate takes the same steps for every failure", () => {
  afterEach(() => {
    mock.restoreAll();
    syncBuiltinESMExports();
  });

  it("traces the same lookup, HMAC, hash decoding and comparison for an unknown id, a wrong secret and a disabled client", () => {
    const trace: string[] = [];
    const store = createClientStore(tracingDatabase(new Database(":memory:"), trace), randomBytes(32));
    store.register(client);
    store.register({ ...client, clientId: "off" });
    store.setDisabled("off", true);
    const { createHmac, timingSafeEqual } = crypto;
    const bufferFrom = Buffer.from.bind(Buffer) as (...args: unknown[]) => Buffer;
    mock.method(crypto, "createHmac", (...args: Parameters<typeof createHmac>) => {
      trace.push(`hmac ${String(args[0])} key(${(args[1] as Buffer).length})`);
      return createHmac(...args);
    });
    mock.method(crypto, "timingSafeEqual", (a: Buffer, b: Buffer) => {
      trace.push(`compare ${a.length} ${b.length}`);
      return timingSafeEqual(a, b);
    });
    mock.method(Buffer, "from", (...args: unknown[]) => {
      if (args[1] === "hex") trace.push(`decode hex(${String(args[0]).length})`);
      return bufferFrom(...args);
    });
    syncBuiltinESMExports(); // let the store's named imports see the spies

    const traceOf = (clientId: string, presented: string): string[] => {
      trace.length = 0;
      assert.equal(store.authenticate(clientId, presented), undefined, clientId);
      return [...trace];
    };
    const unknown = traceOf("nobody", generateClientSecret());
    const wrongSecret = traceOf("cron", generateClientSecret());
    const disabled = traceOf("off", secret);
    assert.deepEqual(unknown, wrongSecret, "an unknown id takes the steps of a wrong secret");
    assert.deepEqual(disabled, wrongSecret, "a disabled client takes the steps of a wrong secret");
    const steps = wrongSecret.map((step) => step.split(" ")[0]);
    assert.deepEqual(steps, ["hmac", "sql", "decode", "compare"]);
    assert.ok(wrongSecret.includes("compare 32 32"), wrongSecret.join("\n"));
  });
});
