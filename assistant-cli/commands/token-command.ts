/**
 * `assistant token`: gets (or reuses) a token and shows what a service will
 * receive: its decoded header and claims.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import type { AssistantSession } from "../session.js";

export interface TokenInfo {
  audience: string;
  scope: string;
  /** Whether it came from the cache (no request to the auth provider). */
  cached: boolean;
  /** Bearer, or DPoP: bound to the assistant's DPoP key (claims.cnf.jkt). */
  tokenType: string;
  expiresAt: Date;
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
  accessToken: string;
}

/** The read scope of the audience is the default: the narrowest useful token. */
export function defaultScopeFor(session: AssistantSession, audience: string): string | undefined {
  if (audience === session.settings.calendarAudience) return "calendar.read";
  if (audience === session.settings.notesAudience) return "note.read";
  return undefined;
}

export async function showToken(session: AssistantSession, audience: string, scope: string): Promise<TokenInfo> {
  const token = await session.tokens.getToken(audience, scope);
  return {
    audience,
    scope,
    cached: token.cached,
    tokenType: token.tokenType,
    expiresAt: new Date(token.expiresAt),
    header: decodeProtectedHeader(token.accessToken),
    claims: decodeJwt(token.accessToken),
    accessToken: token.accessToken,
  };
}
