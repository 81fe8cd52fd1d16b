/**
 * The admin CLI's one error type: a one-line message for a person (what went
 * wrong and what to do) and a kind that decides the exit code. Only main.ts
 * turns it into an exit.
 */

/** What kind of failure: bad input, something that does not exist, or anything else. */
export type AdminErrorKind = "usage" | "not_found" | "internal";

/** Exit codes, documented in `auth-admin --help`. */
export const adminExitCodes: Record<AdminErrorKind | "ok", number> = {
  ok: 0,
  internal: 1,
  usage: 2,
  not_found: 3,
};

/** A failure with a message meant for the operator. */
export class AdminError extends Error {
  override name = "AdminError";
  constructor(
    readonly kind: AdminErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The process exit code for this failure. */
  get exitCode(): number {
    return adminExitCodes[this.kind];
  }
}
