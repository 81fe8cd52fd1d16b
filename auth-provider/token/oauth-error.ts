/**
 * Token endpoint errors as RFC 6749 §5.2 defines them (also answered by the
 * revocation and introspection endpoints, RFC 7009 §2.2.1 and RFC 7662 §2.3),
 * plus RFC 9449 §5's invalid_dpop_proof:
 * one error class with a fixed code set, and one function that writes it as JSON.
 */
import { sendJson, type AnswerResponse } from "../http/json-answer.js";
import type { ThrottleScope } from "../clients/failed-auth-limiter.js";

/** What a slow_down answer is about: a failed-login limit, or the client's token budget (--max-tokens-per-minute). */
export type ThrottleLimit = ThrottleScope | "budget";

/** The RFC 6749 §5.2 error codes this server answers with. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  /** The requested audience (resource) is not one the client may request tokens for (RFC 8707 §2). */
  | "invalid_target"
  /** Too many failed client authentications (the code RFC 8628 §3.5 registered for "retry later, slower"). */
  | "slow_down"
  /** The server cannot answer now (its database is away): 503 with Retry-After, a code widely used beside RFC 6749 §5.2. */
  | "temporarily_unavailable"
  /** The DPoP proof is missing where required, malformed, or fails a check (RFC 9449 §5): 400. */
  | "invalid_dpop_proof";

/**
 * A token request the server refuses. status is 401 for invalid_client, 429 for slow_down, 503 for
 * temporarily_unavailable, else 400.
 */
export class OAuthError extends Error {
  override name = "OAuthError";
  readonly status: 400 | 401 | 429 | 503;
  /** When true the answer carries a `WWW-Authenticate: Basic` challenge (the client tried or needs HTTP Basic). */
  readonly basicChallenge: boolean;
  /** For slow_down and temporarily_unavailable: sent as the Retry-After header (whole seconds). */
  readonly retryAfterSeconds: number | undefined;
  /** For slow_down: which limit was reached (for metrics). */
  readonly throttledBy: ThrottleLimit | undefined;

  constructor(
    readonly code: OAuthErrorCode,
    /** Human-readable; sent as error_description. Quote client input with {@link quoteValue}. */
    readonly description: string,
    options: { basicChallenge?: boolean; retryAfterSeconds?: number; throttledBy?: ThrottleLimit } = {},
  ) {
    super(`${code}: ${description}`);
    this.status = code === "invalid_client" ? 401 : code === "slow_down" ? 429 : code === "temporarily_unavailable" ? 503 : 400;
    this.basicChallenge = code === "invalid_client" && (options.basicChallenge ?? false);
    this.retryAfterSeconds = code === "slow_down" || code === "temporarily_unavailable" ? options.retryAfterSeconds : undefined;
    this.throttledBy = code === "slow_down" ? options.throttledBy : undefined;
  }
}

/** Headers every token endpoint answer carries (RFC 6749 §5.1): never cache. */
export function setNoStore(res: AnswerResponse): void {
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Pragma", "no-cache");
}

/**
 * Writes err as {"error", "error_description"} with its status, Cache-Control: no-store, Retry-After when it has
 * one and, for a Basic challenge, `WWW-Authenticate: Basic realm="<issuer>"`. Records the code in
 * res.locals.oauthError for the request log (and the limit in res.locals.throttledBy, for metrics).
 */
export function sendOAuthError(res: AnswerResponse, err: OAuthError, issuer: string): void {
  setNoStore(res);
  if (err.basicChallenge) res.setHeader("WWW-Authenticate", `Basic realm="${issuer.replace(/["\\]/g, "")}"`);
  if (err.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(err.retryAfterSeconds));
  res.locals["oauthError"] = err.code;
  if (err.throttledBy !== undefined) res.locals["throttledBy"] = err.throttledBy;
  sendJson(res, err.status, { error: err.code, error_description: descriptionText(err.description) });
}

/**
 * A client-supplied value for an error description: in single quotes, cut to 64 characters, with characters that
 * RFC 6749 does not allow in error_description (outside %x20-21 / %x23-5B / %x5D-7E) replaced by "?".
 */
export function quoteValue(value: string): string {
  const cut = value.length > 64 ? `${value.slice(0, 64)}...` : value;
  return `'${descriptionText(cut)}'`;
}

function descriptionText(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "?");
}
