/**
 * The rules of the client_credentials grant for an authenticated client: the
 * grant type, exactly one allowed audience, and allowed scopes. Returns what
 * the token will say, or throws the RFC 6749 error that explains the refusal.
 */
import type { ClientRecord } from "../clients/client-store.js";
import { OAuthError, quoteValue } from "./oauth-error.js";
import type { TokenRequestParams } from "./token-request-body.js";

/** The one grant type this server issues tokens for. */
export const clientCredentialsGrantType = "client_credentials";

/** What a granted token carries. */
export interface GrantedToken {
  readonly clientId: string;
  readonly audience: string;
  /** In the order requested, without duplicates. */
  readonly scopes: readonly string[];
  readonly ttlSeconds: number;
}

/**
 * Checks the grant type alone, before the client is authenticated.
 * @throws OAuthError invalid_request when grant_type is missing, unsupported_grant_type when it is not
 *   client_credentials.
 */
export function checkGrantType(params: TokenRequestParams): void {
  if (params.grantType === undefined) {
    throw new OAuthError("invalid_request", "grant_type is missing; use grant_type=client_credentials");
  }
  if (params.grantType !== clientCredentialsGrantType) {
    throw new OAuthError(
      "unsupported_grant_type",
      `grant_type ${quoteValue(params.grantType)} is not supported; use client_credentials`,
    );
  }
}

/**
 * Applies the client's permissions to the request. defaultTtlSeconds applies when the client has no lifetime of
 * its own.
 * @throws OAuthError unauthorized_client (grant type not allowed for the client), invalid_request (audience
 *   missing, several, or not allowed; scope missing), invalid_scope (a scope the client may not request).
 */
export function grantClientCredentials(
  client: ClientRecord,
  params: TokenRequestParams,
  defaultTtlSeconds: number,
): GrantedToken {
  if (!client.grantTypes.includes(clientCredentialsGrantType)) {
    throw new OAuthError("unauthorized_client", "this client may not use the client_credentials grant");
  }
  const audience = pickAudience(client, params.audiences);
  const scopes = pickScopes(client, params.scope);
  return {
    clientId: client.clientId,
    audience,
    scopes,
    ttlSeconds: client.tokenTtlSeconds ?? defaultTtlSeconds,
  };
}

function pickAudience(client: ClientRecord, requested: readonly string[]): string {
  const allowed = client.audiences.join(", ");
  if (requested.length === 0) {
    throw new OAuthError("invalid_request", `audience is missing; this client may request one of: ${allowed}`);
  }
  if (requested.length > 1) {
    throw new OAuthError("invalid_request", "one audience per token: request a separate token for each audience");
  }
  const audience = requested[0]!;
  if (!client.audiences.includes(audience)) {
    throw new OAuthError(
      "invalid_request",
      `audience ${quoteValue(audience)} is not allowed for this client; allowed: ${allowed}`,
    );
  }
  return audience;
}

function pickScopes(client: ClientRecord, scope: string | undefined): string[] {
  const requested = [...new Set((scope ?? "").split(" ").filter((s) => s !== ""))];
  if (requested.length === 0) {
    throw new OAuthError("invalid_request", "scope is missing; request one or more space-separated scopes");
  }
  const refused = requested.filter((s) => !client.scopes.includes(s));
  if (refused.length > 0) {
    const list = refused.slice(0, 10).map(quoteValue).join(", ");
    throw new OAuthError("invalid_scope", `scopes not allowed for this client: ${list}`);
  }
  return requested;
}
