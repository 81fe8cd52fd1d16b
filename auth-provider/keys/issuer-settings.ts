/**
 * Settings of the running auth provider that `auth-admin` must honour, kept
 * in the auth database (table issuer_settings): today only the default token
 * lifetime, which decides how long an outgoing signing key stays published.
 * The CLI cannot see the provider's environment, so the provider records it
 * at start-up.
 */
import type { AuthDatabase } from "../storage/auth-database.js";

const schema = `
CREATE TABLE IF NOT EXISTS issuer_settings (
  name       TEXT PRIMARY KEY NOT NULL,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT`;

const defaultTokenTtl = "default_token_ttl_seconds";

/** Records the provider's AUTH_TOKEN_TTL_SECONDS (creating the table if needed). Throws SQLite errors. */
export function recordDefaultTokenTtl(db: AuthDatabase, seconds: number): void {
  db.exec(schema);
  db.prepare(
    `INSERT INTO issuer_settings (name, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(defaultTokenTtl, String(seconds), new Date().toISOString());
}

/** The default token lifetime the provider last started with, or undefined when none was recorded. */
export function readDefaultTokenTtl(db: AuthDatabase): number | undefined {
  db.exec(schema);
  const row = db.prepare<[string], { value: string }>("SELECT value FROM issuer_settings WHERE name = ?").get(defaultTokenTtl);
  const seconds = row === undefined ? Number.NaN : Number(row.value);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
}
