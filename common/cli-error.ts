/**
 * The one error type of our command-line tools (the assistant and auth-admin):
 * a message for a person (one line, saying what went wrong and what to do) and
 * a kind that decides the exit code. Only an entry point turns it into an exit.
 */

export type CliErrorKind = "usage" | "not_found" | "auth" | "unreachable" | "conflict" | "policy" | "internal";

/** Exit codes, documented in each tool's --help and the README. */
export const exitCodes: Record<CliErrorKind | "ok", number> = {
  ok: 0,
  internal: 1,
  usage: 2,
  not_found: 3,
  auth: 4,
  unreachable: 5,
  /** The resource changed since the etag the caller gave was read (ABORTED). */
  conflict: 6,
  /** `auth-admin policy --check` found a problem (a grant no RPC needs, an RPC no client can call). */
  policy: 7,
};

export class CliError extends Error {
  override name = "CliError";
  constructor(
    readonly kind: CliErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get exitCode(): number {
    return exitCodes[this.kind];
  }
}
