/**
 * Who is calling the token, revocation and introspection endpoints: client
 * credentials from HTTP Basic (client_secret_basic), from the body
 * (client_secret_post), or a signed client assertion (private_key_jwt,
 * client-assertion.ts), checked against the client store. Every failure to
 * authenticate with a secret gives the same answer, so callers cannot tell
 * unknown clients from wrong secrets or disabled clients; an assertion's
 * answer says what is wrong with it, but never whether the client exists.
 */
import { assertedClientId, jwtBearerAssertionType, verifyClientAssertion, type ClientAssertionOptions } from "./client-assertion.js";
import type { ClientRecord } from "./client-record.js";
import { OAuthError, quoteValue } from "../token/oauth-error.js";

/** The client authentication methods this server supports, in the order the metadata lists them. */
export const clientAuthMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt"] as const;

export type ClientAuthMethod = (typeof clientAuthMethods)[number];

/** Credentials a client presented, not yet checked. */
export type PresentedCredentials =
  | {
      readonly method: "client_secret_basic" | "client_secret_post";
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      readonly method: "private_key_jwt";
      /** The assertion's sub (agreeing with its iss and any client_id sent), not yet verified. */
      readonly clientId: string;
      readonly assertion: string;
    };

/** Client credentials as found in the request body (each may be absent). */
export interface BodyCredentials {
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly clientAssertionType?: string | undefined;
  readonly clientAssertion?: string | undefined;
}

const failed = "client authentication failed";

/**
 * Picks the credentials out of the Authorization header and the body.
 * @throws OAuthError invalid_request when several methods are used or a body client_id contradicts the header;
 *   invalid_client (401) when there are no credentials or they are malformed (an assertion that is not a JWT, whose
 *   iss and sub differ, or whose sub contradicts client_id).
 */
export function readPresentedCredentials(
  authorization: string | undefined,
  body: BodyCredentials,
): PresentedCredentials {
  if (body.clientAssertion !== undefined || body.clientAssertionType !== undefined) {
    if (authorization !== undefined || body.clientSecret !== undefined) {
      throw new OAuthError(
        "invalid_request",
        "use one client authentication method: a client assertion (private_key_jwt), HTTP Basic or client_secret, not several",
      );
    }
    return readAssertionCredentials(body);
  }
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
    "client authentication is required: use HTTP Basic (client_secret_basic), send client_id and client_secret " +
      `in the body (client_secret_post), or send client_assertion_type=${jwtBearerAssertionType} and a signed ` +
      "client_assertion (private_key_jwt)",
    { basicChallenge: true },
  );
}

function readAssertionCredentials(body: BodyCredentials): PresentedCredentials {
  if (body.clientAssertionType === undefined) {
    throw new OAuthError("invalid_client", `client_assertion_type is missing; use ${jwtBearerAssertionType}`);
  }
  if (body.clientAssertionType !== jwtBearerAssertionType) {
    throw new OAuthError(
      "invalid_client",
      `client_assertion_type ${quoteValue(body.clientAssertionType)} is not supported; use ${jwtBearerAssertionType}`,
    );
  }
  if (body.clientAssertion === undefined) throw new OAuthError("invalid_client", "client_assertion is missing");
  const clientId = assertedClientId(body.clientAssertion);
  if (body.clientId !== undefined && body.clientId !== clientId) {
    throw new OAuthError("invalid_client", "client_id does not match the client assertion's iss and sub");
  }
  return { method: "private_key_jwt", clientId, assertion: body.clientAssertion };
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

/** What authentication needs from a client store. */
export interface ClientAuthenticator {
  authenticate(clientId: string, secret: string): Promise<ClientRecord | undefined>;
  find(clientId: string): Promise<ClientRecord | undefined>;
}

/** What {@link authenticateClient} needs: the clients, and what checking an assertion needs. */
export interface ClientAuthenticationDeps extends Omit<ClientAssertionOptions, "now"> {
  readonly clients: ClientAuthenticator;
}

/**
 * Checks presented credentials against the store.
 * @throws OAuthError invalid_client: "client authentication failed" for an unknown client, a wrong secret or a
 *   disabled client alike (with a Basic challenge when Basic was used); for an assertion, what is wrong with it
 *   (client-assertion.ts). The store's error when it cannot answer.
 */
export async function authenticateClient(deps: ClientAuthenticationDeps, credentials: PresentedCredentials): Promise<ClientRecord> {
  if (credentials.method === "private_key_jwt") {
    const client = await deps.clients.find(credentials.clientId);
    return verifyClientAssertion(credentials.assertion, credentials.clientId, client, deps);
  }
  const client = await deps.clients.authenticate(credentials.clientId, credentials.clientSecret);
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
