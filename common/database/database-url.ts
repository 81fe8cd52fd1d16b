/**
 * DATABASE_URL: which store every part uses. Unset, each part keeps its own
 * SQLite file under DATA_DIR (the embedded default); a `postgres://` or
 * `postgresql://` URL puts every part (one database may hold all three parts'
 * tables) on PostgreSQL, so that any part can run as several replicas.
 *
 * The URL usually holds a password: it never appears in a message, a log line
 * or an error; {@link redactedDatabaseUrl} is what may be shown.
 */
import { ConfigError, readOptionalString } from "../env.js";

/** The setting's name, for messages. */
export const databaseUrlVariable = "DATABASE_URL";

/** A PostgreSQL database to connect to. */
export interface PostgresLocation {
  /** The URL as given, password included: hand it to the driver only. */
  readonly url: string;
  /** The URL without its password, for logs and messages. */
  readonly redacted: string;
}

/**
 * Reads DATABASE_URL: undefined when unset (SQLite), else the PostgreSQL location.
 * @throws ConfigError naming DATABASE_URL when the value is not a postgres:// URL with a host and a database name;
 * the message never repeats the password.
 */
export function readDatabaseUrl(env: Readonly<Record<string, string | undefined>>): PostgresLocation | undefined {
  const value = readOptionalString(env, databaseUrlVariable);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(databaseUrlVariable, "is not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE");
  }
  const redacted = redactedDatabaseUrl(url);
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(databaseUrlVariable, `must be a postgres:// URL (unset it to use SQLite), not ${url.protocol}//…`);
  }
  if (url.hostname === "" && !url.searchParams.has("host")) throw new ConfigError(databaseUrlVariable, `names no host: ${redacted}`);
  if (url.pathname.replace(/^\//, "") === "") throw new ConfigError(databaseUrlVariable, `names no database: ${redacted}`);
  return { url: value, redacted };
}

/** `url` with its password replaced by "***" (and nothing else changed). */
export function redactedDatabaseUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(not a URL)";
  }
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}
