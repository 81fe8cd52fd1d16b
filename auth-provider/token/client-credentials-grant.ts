/**
 * The rules of the client_credentials grant for an authenticated client: the
 * grant type, exactly one audience the client is granted (else RFC 8707
 * invalid_target), and only scopes granted for that audience (else
 * invalid_scope, saying when a refused scope is granted for another audience).
 * Returns what the token will say, or throws the RFC 6749 error that explains
 * the refusal.
 */
import type { ClientRecord } from "../clients/client-record.js";
import { grantedAudiences, scopesGrantedFor } from "../clients/grants.js";
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
  /** The key or certificate the token is bound to (its cnf claim); absent for a bearer token. */
  readonly confirmation?: TokenConfirmation | undefined;
}

/** A token's cnf claim: the holder's DPoP key (RFC 9449 §6.1) and/or client certificate (RFC 8705 §3.1). */
export interface TokenConfirmation {
  /** The RFC 7638 SHA-256 thumbprint of the DPoP key, base64url. */
  readonly jkt?: string | undefined;
  /** The base64url SHA-256 of the client certificate's DER. */
  readonly "x5t#S256"?: string | undefined;
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
 *   missing or several; scope missing), invalid_target (an audience not granted at all), invalid_scope (a scope not
 *   granted for the requested audience).
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
  const scopes = pickScopes(client, audience, params.scope);
  return {
    clientId: client.clientId,
    audience,
    scopes,
    ttlSeconds: client.tokenTtlSeconds ?? defaultTtlSeconds,
  };
}

function pickAudience(client: ClientRecord, requested: readonly string[]): string {
  const granted = grantedAudiences(client).join(", ");
  if (requested.length === 0) {
    throw new OAuthError("invalid_request", `audience is missing; this client may request one of: ${granted}`);
  }
  if (requested.length > 1) {
    throw new OAuthError("invalid_request", "one audience per token: request a separate token for each audience");
  }
  const audience = requested[0]!;
  if (scopesGrantedFor(client, audience) === undefined) {
    throw new OAuthError(
      "invalid_target",
      `audience ${quoteValue(audience)} is not granted to this client; granted audiences: ${granted}`,
    );
  }
  return audience;
}

function pickScopes(client: ClientRecord, audience: string, scope: string | undefined): string[] {
  const requested = [...new Set((scope ?? "").split(" ").filter((s) => s !== ""))];
  if (requested.length === 0) {
    throw new OAuthError("invalid_request", "scope is missing; request one or more space-separated scopes");
  }
  const granted = scopesGrantedFor(client, audience) ?? [];
  const refused = requested.filter((s) => !granted.includes(s));
  if (refused.length > 0) throw new OAuthError("invalid_scope", refusedScopesText(client, audience, refused));
  return requested;
}

// "scopes not granted for calendar-service: 'note.write', 'admin' (note.write is granted for note-service, not for
// calendar-service); granted for calendar-service: calendar.read"
function refusedScopesText(client: ClientRecord, audience: string, refused: readonly string[]): string {
  const shown = refused.slice(0, 10);
  const elsewhere = shown.flatMap((scope) => {
    const others = client.grants.filter((grant) => grant.audience !== audience && grant.scopes.includes(scope));
    return others.length === 0 ? [] : [`${scope} is granted for ${others.map((g) => g.audience).join(", ")}, not for ${audience}`];
  });
  const more = refused.length > shown.length ? ` and ${refused.length - shown.length} more` : "";
  return (
    `scopes not granted to this client for ${audience}: ${shown.map(quoteValue).join(", ")}${more}` +
    (elsewhere.length > 0 ? ` (${elsewhere.join("; ")})` : "") +
    `; granted for ${audience}: ${(scopesGrantedFor(client, audience) ?? []).join(" ")}`
  );
}
