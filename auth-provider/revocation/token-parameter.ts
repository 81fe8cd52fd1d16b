/**
 * The `token` parameter the revocation and introspection endpoints require
 * (RFC 7009 §2.1, RFC 7662 §2.1). `token_type_hint` is accepted with any
 * value and not needed: this issuer has one kind of token (access tokens).
 */
import { OAuthError } from "../token/oauth-error.js";
import type { TokenRequestParams } from "../token/token-request-body.js";

/** @throws OAuthError invalid_request when token is missing or empty. */
export function requireTokenParameter(params: TokenRequestParams): void {
  if (params.token === undefined) {
    throw new OAuthError("invalid_request", "token is missing; send the access token in the token parameter");
  }
}
