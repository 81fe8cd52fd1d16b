/**
 * Reading settings from the environment. Every reader validates its value and
 * throws a ConfigError that names the setting, so a misconfigured process stops
 * at start-up with one line that says what to fix.
 */

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    /** The environment variable (or flag) that holds the bad value. */
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** A non-empty string, or the default. */
export function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

/** An optional non-empty string. */
export function readOptionalString(env: Env, name: string): string | undefined {
  return raw(env, name);
}

/** A TCP port, 0 (any free port) to 65535. */
export function readPort(env: Env, name: string, fallback: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new ConfigError(name, `"${value}" is not a port number (0 to 65535)`);
  }
  return port;
}

/** A whole number within [min, max]. */
export function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) {
    throw new ConfigError(name, `"${value}" is not a whole number from ${min} to ${max}`);
  }
  return n;
}

/** An absolute http(s) URL, returned without a trailing slash. */
export function readUrl(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  return checkUrl(name, value);
}

/** Checks that value is an absolute http(s) URL; returns it without a trailing slash. */
export function checkUrl(setting: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(setting, `"${value}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(setting, `"${value}" must start with http:// or https://`);
  }
  return value.replace(/\/+$/, "");
}
