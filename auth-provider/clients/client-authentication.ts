/**
 * Who is calling the token endpoint: client credentials from HTTP Basic
 * (client_secret_basic) or from the body (client_secret_post), checked against
 * the client store. Every failure to authenticate gives the same answer, so
 * callers cannot tell unknown clients from wrong secrets or disabled clients.
 */
import type { ClientRecord } from "./client-store.js";
import { OAuthError } from "../token/oauth-error.js";

/** The two client authentication methods this server supports. */
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post";

/** Credentials a client presented, not yet checked. */
export interface PresentedCredentials {
  readonly method: ClientAuthMethod;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** client_id and client_secret as found in the request body (either may be absent). */
export interface BodyCredentials {
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
}

const failed = "client authentication failed";

/**
 * Picks the credentials out of the Authorization header and the body.
 * @throws OAuthError invalid_request when both methods are used or a body client_id contradicts the header;
 *   invalid_client (401) when there are no credentials or they are malformed.
 */
export function readPresentedCredentials(
  authorization: string | undefined,
  body: BodyCredentials,
): PresentedCredentials {
  if (authorization !== undefined) {
    if (body.clientSecret !== undefined) {
      throw new OAuthError(
        "invalid_request",
        "use one client authentication method: HTTP Basic or client_id and client_secret in the body, not both",
      );
    }
    const basic = parseBasicAuthorization(authorization);
    if (body.clientId !== undefined && body.clientId !== basic.clientId) {
      throw new OAuthError("invalid_request", "client_id in the body does not match the Authorization header");
    }
    return { method: "client_secret_basic", ...basic };
  }
  if (body.clientId !== undefined && body.clientSecret !== undefined) {
    return { method: "client_secret_post", clientId: body.clientId, clientSecret: body.clientSecret };
  }
  if (body.clientId !== undefined) throw new OAuthError("invalid_client", "client_secret is missing");
  if (body.clientSecret !== undefined) throw new OAuthError("invalid_client", "client_id is missing");
  throw new OAuthError(
    "invalid_client",
    "client authentication is required: use HTTP Basic (client_secret_basic) or send client_id and client_secret " +
      "in the body (client_secret_post)",
    { basicChallenge: true },
  );
}

/**
 * Parses `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1): splits on the first
 * colon, then form-decodes each part ("+" is a space, %XX escapes).
 * @throws OAuthError invalid_client with a Basic challenge when the header is not well-formed Basic credentials.
 */
export function parseBasicAuthorization(header: string): { clientId: string; clientSecret: string } {
  const bad = (why: string) => new OAuthError("invalid_client", why, { basicChallenge: true });
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (match === null) {
    if (!/^Basic(?: |$)/i.test(header)) throw bad("the Authorization header must use the Basic scheme");
    throw bad("the Basic credentials are not valid base64");
  }
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw bad("the Basic credentials must be client_id:client_secret");
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === undefined || clientSecret === undefined) {
    throw bad("the Basic credentials are not correctly URL-encoded");
  }
  if (clientId === "" || clientSecret === "") throw bad("the Basic credentials have an empty client_id or secret");
  return { clientId, clientSecret };
}

/** What authentication needs from a client store (the SQLite store answers at once, PostgreSQL's with a promise). */
export interface ClientAuthenticator {
  authenticate(clientId: string, secret: string): ClientRecord | undefined | Promise<ClientRecord | undefined>;
}

/**
 * Checks presented credentials against the store.
 * @throws OAuthError invalid_client "client authentication failed" for an unknown client, a wrong secret or a
 *   disabled client alike (with a Basic challenge when Basic was used); the store's error when it cannot answer.
 */
export async function authenticateClient(store: ClientAuthenticator, credentials: PresentedCredentials): Promise<ClientRecord> {
  const client = await store.authenticate(credentials.clientId, credentials.clientSecret);
  if (client === undefined) {
    throw new OAuthError("invalid_client", failed, {
      basicChallenge: credentials.method === "client_secret_basic",
    });
  }
  return client;
}

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}
