/**
 * A minimal structured logger: one JSON object per line on stdout (errors on
 * stderr), each with a time, a level, the component name and a message. Callers
 * must never pass a token or a secret in the fields.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether lines of `level` are written: callers skip building fields nobody reads. */
  enabled(level: LogLevel): boolean;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** Name of the component, written as "component" on every line. */
  component: string;
  /** Lowest level written; default from LOG_LEVEL, else "info". */
  level?: LogLevel;
  /** Where lines go; default stdout (warn and error to stderr). */
  write?: (line: string, level: LogLevel) => void;
}

function defaultWrite(line: string, level: LogLevel): void {
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line + "\n");
}

function levelFromEnv(): LogLevel {
  const value = process.env["LOG_LEVEL"];
  return value === "debug" || value === "info" || value === "warn" || value === "error" ? value : "info";
}

/** Creates a logger for one component. */
export function createLogger(options: LoggerOptions): Logger {
  const min = order[options.level ?? levelFromEnv()];
  const write = options.write ?? defaultWrite;
  const log = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (order[level] < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, component: options.component, msg, ...fields }), level);
  };
  return {
    debug: (msg, fields) => log("debug", msg, fields),
    info: (msg, fields) => log("info", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    error: (msg, fields) => log("error", msg, fields),
    enabled: (level) => order[level] >= min,
  };
}

/** Text of an unknown thrown value, for logs. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
