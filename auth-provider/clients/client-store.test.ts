/**
 * Unit tests of the client store over an in-memory SQLite database (grants,
 * key-only clients, secret overlap, updates, revocation on disable and remove,
 * the conversion of clients of schema version 1), including a trace of the
 * steps authenticate() takes, which must be the same for an unknown client id
 * as for a wrong secret (issue 11, item 7) and for a client without a secret
 * or with a running overlap (issue 14).
 */
import assert from "node:assert/strict";
import crypto, { createHmac, randomBytes } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import Database from "better-sqlite3";
import type { LogFields, Logger } from "../../common/json-logger.js";
import { migrateSqlite } from "../../common/database/migrations.js";
import { loadScopeCatalog } from "../policy/scope-catalog.js";
import { authComponent, authMigrations } from "../storage/auth-migrations.js";
import { createClientStore, generateClientSecret, type ClientStore, type NewClient } from "./client-store.js";

const secret = generateClientSecret();
const client: NewClient = {
  clientId: "cron",
  secret,
  grants: [{ audience: "calendar-service", scopes: ["calendar.read"] }, { audience: "note-service", scopes: ["note.read"] }],
  grantTypes: ["client_credentials"],
};
// A public key as checkPublicJwk leaves it (with its kid); this store checks only the shape.
const publicJwk = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", kid: "k1" };
const catalog = loadScopeCatalog({});

function capturingLogger(): Logger & { lines: { level: string; msg: string; fields: LogFields | undefined }[] } {
  const lines: { level: string; msg: string; fields: LogFields | undefined }[] = [];
  const at = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), enabled: () => true };
}

describe("client store", () => {
  let db: Database.Database;
  let store: ClientStore;
  const clock = { now: Date.parse("2026-11-29T12:00:00.000Z") };
  beforeEach(() => {
    db = new Database(":memory:");
    clock.now = Date.parse("2026-11-29T12:00:00.000Z");
    store = createClientStore(db, randomBytes(32), { now: () => clock.now });
  });

  it("gives an unmigrated database the auth schema", () => {
    assert.deepEqual(db.prepare("SELECT version FROM schema_migrations WHERE component = 'auth' ORDER BY version").all(), [{ version: 1 }, { version: 2 }, { version: 3 }]);
  });

  it("registers and finds a client, without its secret, with its grants normalised", () => {
    const record = store.register({
      ...client,
      grants: [
        { audience: "note-service", scopes: ["note.write", "note.read", "note.write"] },
        { audience: "calendar-service", scopes: ["calendar.read"] },
        { audience: "note-service", scopes: ["note.admin"] },
      ],
      maxTokensPerMinute: 30,
    });
    assert.deepEqual(store.find("cron"), record);
    assert.deepEqual(record.grants, [
      { audience: "calendar-service", scopes: ["calendar.read"] },
      { audience: "note-service", scopes: ["note.admin", "note.read", "note.write"] },
    ]);
    assert.deepEqual(record.grantTypes, ["client_credentials"]);
    assert.equal(record.tokenTtlSeconds, undefined);
    assert.equal(record.maxTokensPerMinute, 30);
    assert.equal(record.hasSecret, true);
    assert.equal(record.previousSecretValidUntil, undefined);
    assert.equal(record.publicJwk, undefined);
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

  it("records a revocation of every token issued before now when a client is disabled or removed, in the same transaction", () => {
    store.register(client);
    store.register({ ...client, clientId: "gone" });
    clock.now += 300; // 12:00:00.300: a token issued in this second is covered
    store.setDisabled("cron", true);
    store.setDisabled("cron", false);
    store.remove("gone");
    const instant = Math.ceil(clock.now / 1000);
    assert.deepEqual(db.prepare("SELECT client_id, tokens_issued_before FROM client_token_revocations ORDER BY client_id").all(), [
      { client_id: "cron", tokens_issued_before: instant },
      { client_id: "gone", tokens_issued_before: instant },
    ]);
    assert.throws(() => store.setDisabled("nobody", true), /does not exist/);
    assert.throws(() => store.remove("nobody"), /does not exist/);
    assert.deepEqual(db.prepare("SELECT count(*) AS n FROM client_token_revocations WHERE client_id = 'nobody'").get(), { n: 0 }, "rolled back");
  });

  it("replaces a secret at once without an overlap", () => {
    store.register(client);
    const next = generateClientSecret();
    assert.equal(store.setSecret("cron", next).previousSecretValidUntil, undefined);
    assert.equal(store.authenticate("cron", secret), undefined);
    assert.equal(store.authenticate("cron", next)?.clientId, "cron");
    assert.throws(() => store.setSecret("nobody", next), /does not exist/);
  });

  it("keeps the old secret working until the overlap ends", () => {
    store.register(client);
    const next = generateClientSecret();
    const rotated = store.setSecret("cron", next, { overlapSeconds: 3600 });
    assert.equal(rotated.previousSecretValidUntil, "2026-11-29T13:00:00.000Z");
    assert.equal(store.authenticate("cron", secret)?.clientId, "cron", "the old secret during the overlap");
    assert.equal(store.authenticate("cron", next)?.clientId, "cron");
    clock.now += 3_599_999;
    assert.equal(store.authenticate("cron", secret)?.clientId, "cron");
    clock.now += 1;
    assert.equal(store.authenticate("cron", secret), undefined, "the old secret after the overlap");
    assert.equal(store.find("cron")?.previousSecretValidUntil, undefined);
    assert.equal(store.endSecretOverlap("cron"), false, "no overlap runs any more");
  });

  it("ends an overlap on request, and a rotation without overlap ends it too", () => {
    store.register(client);
    const second = generateClientSecret();
    store.setSecret("cron", second, { overlapSeconds: 600 });
    assert.equal(store.endSecretOverlap("cron"), true);
    assert.equal(store.authenticate("cron", secret), undefined);
    assert.equal(store.endSecretOverlap("cron"), false);
    assert.throws(() => store.endSecretOverlap("nobody"), /does not exist/);
    const third = generateClientSecret();
    store.setSecret("cron", third, { overlapSeconds: 600 });
    assert.equal(store.authenticate("cron", second)?.clientId, "cron");
    store.setSecret("cron", generateClientSecret());
    assert.equal(store.authenticate("cron", second), undefined);
    assert.equal(store.authenticate("cron", third), undefined, "without an overlap the previous secret stops at once");
  });

  it("registers key-only clients, which no secret authenticates, and removes a secret only when a key remains", () => {
    const keyOnly = store.register({ ...client, clientId: "keyed", secret: undefined, publicJwk });
    assert.equal(keyOnly.hasSecret, false);
    assert.deepEqual(keyOnly.publicJwk, publicJwk);
    assert.equal(store.authenticate("keyed", secret), undefined);
    store.register(client);
    assert.throws(() => store.removeSecret("cron"), TypeError);
    assert.equal(store.authenticate("cron", secret)?.clientId, "cron", "a refused removal changes nothing");
    store.update("cron", { publicJwk });
    store.setSecret("cron", generateClientSecret(), { overlapSeconds: 600 });
    const removed = store.removeSecret("cron");
    assert.equal(removed.hasSecret, false);
    assert.equal(removed.previousSecretValidUntil, undefined);
    assert.equal(store.authenticate("cron", secret), undefined);
    assert.throws(() => store.update("cron", { publicJwk: null }), TypeError, "it would have no way in");
  });

  it("updates each field, null clearing it", () => {
    store.register({ ...client, tokenTtlSeconds: 600, maxTokensPerMinute: 10 });
    clock.now += 1000;
    const updated = store.update("cron", { grants: [{ audience: "note-service", scopes: ["note.write"] }], publicJwk });
    assert.deepEqual(updated.grants, [{ audience: "note-service", scopes: ["note.write"] }]);
    assert.deepEqual(updated.publicJwk, publicJwk);
    assert.equal(updated.tokenTtlSeconds, 600, "absent fields stay");
    assert.equal(updated.updatedAt, "2026-11-29T12:00:01.000Z");
    assert.equal(store.update("cron", { tokenTtlSeconds: 900 }).tokenTtlSeconds, 900);
    assert.equal(store.update("cron", { tokenTtlSeconds: null }).tokenTtlSeconds, undefined);
    assert.equal(store.update("cron", { maxTokensPerMinute: 20 }).maxTokensPerMinute, 20);
    assert.equal(store.update("cron", { maxTokensPerMinute: null }).maxTokensPerMinute, undefined);
    assert.equal(store.update("cron", { publicJwk: null }).publicJwk, undefined);
    assert.throws(() => store.update("cron", { grants: [] }), TypeError);
    assert.throws(() => store.update("cron", { tokenTtlSeconds: 59 }), TypeError);
    assert.throws(() => store.update("cron", { maxTokensPerMinute: 0 }), TypeError);
    assert.throws(() => store.update("nobody", { tokenTtlSeconds: 900 }), /does not exist/);
  });

  it("does not match secrets hashed under another key", () => {
    store.register(client);
    const other = createClientStore(db, randomBytes(32));
    assert.equal(other.authenticate("cron", secret), undefined);
  });

  it("refuses a taken client id and invalid fields, naming the field", () => {
    store.register(client);
    assert.throws(() => store.register(client), /already exists/);
    const refused: [Partial<NewClient>, RegExp][] = [
      [{ clientId: "has space" }, /clientId/],
      [{ secret: "short" }, /client secret/],
      [{ secret: undefined }, /secret, publicJwk or tlsClientAuthSubjectDn/],
      [{ grants: [] }, /grants/],
      [{ grants: [{ audience: "a b", scopes: ["s"] }] }, /audience/],
      [{ grants: [{ audience: "calendar-service", scopes: [] }] }, /at least one scope/],
      [{ grants: [{ audience: "calendar-service", scopes: ['"q"'] }] }, /scope/],
      [{ grantTypes: [] }, /grantTypes/],
      [{ tokenTtlSeconds: 10 }, /tokenTtlSeconds/],
      [{ maxTokensPerMinute: 0 }, /maxTokensPerMinute/],
      [{ maxTokensPerMinute: 1_000_001 }, /maxTokensPerMinute/],
      [{ maxTokensPerMinute: 1.5 }, /maxTokensPerMinute/],
      [{ publicJwk: { ...publicJwk, d: "private" } }, /publicJwk must be a public key/],
      [{ publicJwk: { kty: "oct", k: "c2VjcmV0" } }, /kty/],
    ];
    for (const [fields, error] of refused) {
      assert.throws(() => store.register({ ...client, clientId: "x", ...fields }), (err) => err instanceof TypeError && error.test(err.message), JSON.stringify(fields));
    }
    assert.equal(store.find("x"), undefined);
  });

  it("keeps a client's own token lifetime", () => {
    assert.equal(store.register({ ...client, tokenTtlSeconds: 600 }).tokenTtlSeconds, 600);
  });

  it("makes 32-byte base64url secrets", () => {
    assert.match(generateClientSecret(), /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(generateClientSecret(), generateClientSecret());
  });
});

describe("client store over a database of schema version 1", () => {
  it("gives each old client the grants its lists imply, logged once, and its secret keeps working", () => {
    const db = new Database(":memory:");
    migrateSqlite(db, authComponent, authMigrations.slice(0, 1));
    const hashKey = randomBytes(32);
    const insert = db.prepare(
      `INSERT INTO clients (client_id, secret_hash, scopes, audiences, grant_types, token_ttl_seconds, disabled, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'client_credentials', ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
    );
    const hex = (value: string) => createHmac("sha256", hashKey).update(value).digest("hex");
    insert.run("reporting", hex(secret), "calendar.read note.write", "calendar-service note-service", 600, 0);
    insert.run("billing", hex(secret), "billing.read calendar.read", "billing-service", null, 1);
    const logger = capturingLogger();
    const store = createClientStore(db, hashKey, { catalog, logger });
    const reporting = store.find("reporting")!;
    assert.deepEqual(reporting.grants, [
      { audience: "calendar-service", scopes: ["calendar.read"] },
      { audience: "note-service", scopes: ["note.write"] },
    ]);
    assert.equal(reporting.tokenTtlSeconds, 600);
    assert.equal(reporting.hasSecret, true);
    assert.deepEqual(store.find("billing")!.grants, [{ audience: "billing-service", scopes: ["billing.read"] }], "an unknown audience keeps the scopes no service defines");
    assert.equal(store.find("billing")!.disabled, true);
    assert.equal(store.authenticate("reporting", secret)?.clientId, "reporting");
    const conversions = logger.lines.filter((line) => line.msg.startsWith("converted"));
    assert.deepEqual(conversions.map((line) => [line.level, line.fields?.["client_id"], line.fields?.["grants"]]).sort(), [
      ["info", "billing", ["billing-service:billing.read"]],
      ["info", "reporting", ["calendar-service:calendar.read", "note-service:note.write"]],
    ]);
    createClientStore(db, hashKey, { catalog, logger });
    assert.equal(logger.lines.filter((line) => line.msg.startsWith("converted")).length, 2, "converted once");
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

  it("traces the same lookup, HMAC, hash decodings and comparisons for an unknown id, a wrong secret, a disabled client, a client without a secret and one with a running overlap", () => {
    const trace: string[] = [];
    const store = createClientStore(tracingDatabase(new Database(":memory:"), trace), randomBytes(32));
    store.register(client);
    store.register({ ...client, clientId: "off" });
    store.setDisabled("off", true);
    store.register({ ...client, clientId: "keyed", secret: undefined, publicJwk });
    store.register({ ...client, clientId: "rotating" });
    store.setSecret("rotating", generateClientSecret(), { overlapSeconds: 600 });
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
    const keyOnly = traceOf("keyed", secret);
    const wrongDuringOverlap = traceOf("rotating", generateClientSecret());
    assert.deepEqual(unknown, wrongSecret, "an unknown id takes the steps of a wrong secret");
    assert.deepEqual(disabled, wrongSecret, "a disabled client takes the steps of a wrong secret");
    assert.deepEqual(keyOnly, wrongSecret, "a client without a secret takes the steps of a wrong secret");
    assert.deepEqual(wrongDuringOverlap, wrongSecret, "a running overlap takes the steps of a wrong secret");
    const steps = wrongSecret.map((step) => step.split(" ")[0]);
    assert.deepEqual(steps, ["hmac", "sql", "decode", "compare", "decode", "compare"], "both hashes, every time");
    assert.ok(wrongSecret.includes("compare 32 32"), wrongSecret.join("\n"));
  });
});
