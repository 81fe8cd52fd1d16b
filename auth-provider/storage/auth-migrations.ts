/**
 * The auth provider's schema, as migrations of the part "auth"
 * (common/database/migrations.ts), applied at every start.
 *
 * Version 1 on SQLite is the schema earlier releases created on the fly
 * (`clients`, `issuer_settings`), written with IF NOT EXISTS so that an
 * existing auth.db adopts it unchanged. SQLite mode keeps the issuer keys in
 * issuer-keys.json and the failed-login counters in memory, as before.
 *
 * On PostgreSQL, version 1 holds everything replicas share: clients, settings,
 * the key set (current kid, change counter, sealed client-secret hash key),
 * the signing keys (private parts sealed with the KEK) with their rotation
 * schedule, and the failed-login windows. Tables are prefixed `auth_`: one
 * database may hold every part's tables.
 */
import type { Migration } from "../../common/database/migrations.js";

/**
 * The SQLite clients table as version 1 creates it; client-store.ts creates it the same way on a database that
 * was not migrated (an in-memory one in tests).
 */
export const sqliteClientsTable = `CREATE TABLE IF NOT EXISTS clients (
  client_id         TEXT PRIMARY KEY NOT NULL,
  secret_hash       TEXT NOT NULL,
  scopes            TEXT NOT NULL,
  audiences         TEXT NOT NULL,
  grant_types       TEXT NOT NULL,
  token_ttl_seconds INTEGER,
  disabled          INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
) STRICT`;

/** The part's name in schema_migrations. */
export const authComponent = "auth";

/** Every migration of the auth provider, in order. Never edit a released one: add a version. */
export const authMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "clients, settings, issuer keys, failed logins",
    sqlite: [
      sqliteClientsTable,
      `CREATE TABLE IF NOT EXISTS issuer_settings (
        name       TEXT PRIMARY KEY NOT NULL,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT`,
    ],
    postgres: [
      `CREATE TABLE auth_clients (
        client_id         TEXT PRIMARY KEY,
        secret_hash       TEXT NOT NULL,
        scopes            TEXT NOT NULL,
        audiences         TEXT NOT NULL,
        grant_types       TEXT NOT NULL,
        token_ttl_seconds INTEGER,
        disabled          BOOLEAN NOT NULL DEFAULT false,
        created_at        TIMESTAMPTZ NOT NULL,
        updated_at        TIMESTAMPTZ NOT NULL
      )`,
      `CREATE TABLE auth_settings (
        name       TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      )`,
      `CREATE TABLE auth_key_set (
        id                     SMALLINT PRIMARY KEY CHECK (id = 1),
        current_kid            TEXT NOT NULL,
        change_count           BIGINT NOT NULL,
        sealed_secret_hash_key TEXT NOT NULL,
        updated_at             TIMESTAMPTZ NOT NULL
      )`,
      `CREATE TABLE auth_signing_keys (
        kid                TEXT PRIMARY KEY,
        alg                TEXT NOT NULL,
        sealed_private_jwk TEXT NOT NULL,
        created_at         TIMESTAMPTZ NOT NULL,
        activates_at       TIMESTAMPTZ,
        retires_at         TIMESTAMPTZ
      )`,
      `CREATE TABLE auth_failed_logins (
        scope           TEXT NOT NULL,
        key             TEXT NOT NULL,
        window_start_ms BIGINT NOT NULL,
        failures        INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      )`,
      "CREATE INDEX auth_failed_logins_window ON auth_failed_logins (window_start_ms)",
      `CREATE TABLE auth_trusted_addresses (
        pair            TEXT PRIMARY KEY,
        last_success_ms BIGINT NOT NULL
      )`,
      "CREATE INDEX auth_trusted_addresses_age ON auth_trusted_addresses (last_success_ms)",
    ],
  },
];
