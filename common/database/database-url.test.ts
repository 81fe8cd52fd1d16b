import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../env.js";
import { readDatabaseUrl } from "./database-url.js";

test("DATABASE_URL: unset means SQLite; a postgres URL is kept, and shown only without its password", () => {
  assert.equal(readDatabaseUrl({}), undefined);
  assert.equal(readDatabaseUrl({ DATABASE_URL: " " }), undefined);
  const location = readDatabaseUrl({ DATABASE_URL: "postgres://app:s3cr3t@db.internal:5432/m2m" })!;
  assert.equal(location.url, "postgres://app:s3cr3t@db.internal:5432/m2m");
  assert.equal(location.redacted, "postgres://app:***@db.internal:5432/m2m");
  assert.ok(readDatabaseUrl({ DATABASE_URL: "postgresql://app@localhost/m2m" }));
});

test("a bad DATABASE_URL names the variable and never the password", () => {
  const cases: [string, RegExp][] = [
    ["not a url", /DATABASE_URL: is not a URL/],
    ["mysql://app:s3cr3t@db/m2m", /DATABASE_URL: must be a postgres:\/\/ URL/],
    ["postgres://app:s3cr3t@db.internal:5432/", /DATABASE_URL: names no database: postgres:\/\/app:\*\*\*@db\.internal:5432\//],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => readDatabaseUrl({ DATABASE_URL: value }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, message);
      assert.ok(!err.message.includes("s3cr3t"), err.message);
      return true;
    });
  }
});
