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
 *
 * Version 2 (issue 14) gives clients grants (scopes per audience, JSON), an
 * optional secret (key-only clients), a previous secret with its end, a public
 * JWK and a token budget, and adds the revocations (tokens, and "every token
 * of a client issued before T"), the client assertion ids already used, and on
 * PostgreSQL the token budget windows (SQLite counts those in memory: one
 * process per DATA_DIR). Turning the scope and audience lists of version 1
 * into grants needs the scope catalog, a setting of the running provider, so
 * it happens when the store opens (legacy-grants.ts), not here.
 *
 * Version 3 (issue 15) gives clients sender-constrained tokens: `require_dpop`
 * (token requests without a DPoP proof are refused) and
 * `tls_client_auth_subject_dn` (RFC 8705 tls_client_auth: the subject DN the
 * client certificate must carry, in the canonical form of
 * clients/tls-subject-dn.ts). A client with a subject DN needs neither a secret
 * nor a public key, so the "can authenticate" check counts it too.
 */
import type { Migration } from "../../common/database/migrations.js";

/** The SQLite clients table as version 1 creates it (IF NOT EXISTS: an auth.db of an earlier release adopts it). */
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
  {
    version: 2,
    name: "grants, key-only clients, secret overlap, public keys, token budgets, revocations, used assertions",
    // The scope and audience lists stay (as legacy_scopes, legacy_audiences) because their conversion needs the
    // catalog of the running provider: grants IS NULL marks a row not yet converted. They are kept after the
    // conversion, never read again, as the record of what the client had: if the catalog was misconfigured at the
    // first start, an operator can still see the original lists. New rows leave them NULL.
    sqlite: [
      // SQLite cannot drop NOT NULL from secret_hash: rebuild the table (nothing references it).
      `CREATE TABLE clients_v2 (
        client_id                   TEXT PRIMARY KEY NOT NULL,
        grants                      TEXT,
        grant_types                 TEXT NOT NULL,
        secret_hash                 TEXT,
        previous_secret_hash        TEXT,
        previous_secret_valid_until TEXT,
        public_jwk                  TEXT,
        token_ttl_seconds           INTEGER,
        max_tokens_per_minute       INTEGER,
        disabled                    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at                  TEXT NOT NULL,
        updated_at                  TEXT NOT NULL,
        legacy_scopes               TEXT,
        legacy_audiences            TEXT,
        CHECK (secret_hash IS NOT NULL OR public_jwk IS NOT NULL)
      ) STRICT`,
      `INSERT INTO clients_v2 (client_id, grant_types, secret_hash, token_ttl_seconds, disabled, created_at, updated_at,
         legacy_scopes, legacy_audiences)
       SELECT client_id, grant_types, secret_hash, token_ttl_seconds, disabled, created_at, updated_at, scopes, audiences
         FROM clients`,
      "DROP TABLE clients",
      "ALTER TABLE clients_v2 RENAME TO clients",
      `CREATE TABLE revoked_tokens (
        jti        TEXT PRIMARY KEY NOT NULL,
        client_id  TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT`,
      "CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at)",
      // No reference to clients: the entry must outlive a removed client.
      `CREATE TABLE client_token_revocations (
        client_id            TEXT PRIMARY KEY NOT NULL,
        tokens_issued_before INTEGER NOT NULL
      ) STRICT`,
      "CREATE INDEX client_token_revocations_instant ON client_token_revocations (tokens_issued_before)",
      `CREATE TABLE used_client_assertions (
        client_id  TEXT NOT NULL,
        jti        TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, jti)
      ) STRICT`,
      "CREATE INDEX used_client_assertions_expiry ON used_client_assertions (expires_at)",
    ],
    postgres: [
      "ALTER TABLE auth_clients RENAME COLUMN scopes TO legacy_scopes",
      "ALTER TABLE auth_clients RENAME COLUMN audiences TO legacy_audiences",
      `ALTER TABLE auth_clients
         ALTER COLUMN legacy_scopes DROP NOT NULL,
         ALTER COLUMN legacy_audiences DROP NOT NULL,
         ALTER COLUMN secret_hash DROP NOT NULL,
         ADD COLUMN grants TEXT,
         ADD COLUMN previous_secret_hash TEXT,
         ADD COLUMN previous_secret_valid_until TIMESTAMPTZ,
         ADD COLUMN public_jwk TEXT,
         ADD COLUMN max_tokens_per_minute INTEGER,
         ADD CONSTRAINT auth_clients_can_authenticate CHECK (secret_hash IS NOT NULL OR public_jwk IS NOT NULL)`,
      `CREATE TABLE auth_revoked_tokens (
        jti        TEXT PRIMARY KEY,
        client_id  TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      "CREATE INDEX auth_revoked_tokens_expiry ON auth_revoked_tokens (expires_at)",
      `CREATE TABLE auth_client_token_revocations (
        client_id            TEXT PRIMARY KEY,
        tokens_issued_before BIGINT NOT NULL
      )`,
      "CREATE INDEX auth_client_token_revocations_instant ON auth_client_token_revocations (tokens_issued_before)",
      `CREATE TABLE auth_used_client_assertions (
        client_id  TEXT NOT NULL,
        jti        TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (client_id, jti)
      )`,
      "CREATE INDEX auth_used_client_assertions_expiry ON auth_used_client_assertions (expires_at)",
      `CREATE TABLE auth_token_budget_windows (
        client_id       TEXT PRIMARY KEY,
        window_start_ms BIGINT NOT NULL,
        taken           INTEGER NOT NULL
      )`,
      "CREATE INDEX auth_token_budget_windows_start ON auth_token_budget_windows (window_start_ms)",
    ],
  },
  {
    version: 3,
    name: "clients: require_dpop, tls_client_auth_subject_dn",
    sqlite: [
      // SQLite cannot change a CHECK constraint: rebuild the table (nothing references it).
      `CREATE TABLE clients_v3 (
        client_id                   TEXT PRIMARY KEY NOT NULL,
        grants                      TEXT,
        grant_types                 TEXT NOT NULL,
        secret_hash                 TEXT,
        previous_secret_hash        TEXT,
        previous_secret_valid_until TEXT,
        public_jwk                  TEXT,
        tls_client_auth_subject_dn  TEXT,
        require_dpop                INTEGER NOT NULL DEFAULT 0 CHECK (require_dpop IN (0, 1)),
        token_ttl_seconds           INTEGER,
        max_tokens_per_minute       INTEGER,
        disabled                    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at                  TEXT NOT NULL,
        updated_at                  TEXT NOT NULL,
        legacy_scopes               TEXT,
        legacy_audiences            TEXT,
        CHECK (secret_hash IS NOT NULL OR public_jwk IS NOT NULL OR tls_client_auth_subject_dn IS NOT NULL)
      ) STRICT`,
      `INSERT INTO clients_v3 (client_id, grants, grant_types, secret_hash, previous_secret_hash, previous_secret_valid_until,
         public_jwk, token_ttl_seconds, max_tokens_per_minute, disabled, created_at, updated_at, legacy_scopes, legacy_audiences)
       SELECT client_id, grants, grant_types, secret_hash, previous_secret_hash, previous_secret_valid_until,
         public_jwk, token_ttl_seconds, max_tokens_per_minute, disabled, created_at, updated_at, legacy_scopes, legacy_audiences
         FROM clients`,
      "DROP TABLE clients",
      "ALTER TABLE clients_v3 RENAME TO clients",
    ],
    postgres: [
      `ALTER TABLE auth_clients
         ADD COLUMN require_dpop BOOLEAN NOT NULL DEFAULT false,
         ADD COLUMN tls_client_auth_subject_dn TEXT,
         DROP CONSTRAINT auth_clients_can_authenticate,
         ADD CONSTRAINT auth_clients_can_authenticate
           CHECK (secret_hash IS NOT NULL OR public_jwk IS NOT NULL OR tls_client_auth_subject_dn IS NOT NULL)`,
    ],
  },
];
