/**
 * Who is calling the token, revocation and introspection endpoints: client
 * credentials from HTTP Basic (client_secret_basic), from the body
 * (client_secret_post), a signed client assertion (private_key_jwt,
 * client-assertion.ts), or, when AUTH_CLIENT_CA_FILE is set, a client
 * certificate with only client_id in the body (tls_client_auth, RFC 8705
 * §2.1), checked against the client store. Every failure to authenticate with
 * a secret or a certificate gives the same answer, so callers cannot tell
 * unknown clients from wrong secrets, other subjects or disabled clients; an
 * assertion's answer says what is wrong with it, and a certificate's whether
 * it chains to the client CA, but never whether the client exists.
 */
import { assertedClientId, jwtBearerAssertionType, verifyClientAssertion, type ClientAssertionOptions } from "./client-assertion.js";
import type { PresentedCertificate } from "./client-certificate.js";
import type { ClientRecord } from "./client-record.js";
import { parseDistinguishedName, sameDistinguishedName } from "./tls-subject-dn.js";
import { OAuthError, quoteValue } from "../token/oauth-error.js";

/** The client authentication methods this server supports without client certificates, in the order the metadata lists them. */
export const clientAuthMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt"] as const;

/** RFC 8705 §2.1: PKI mutual TLS, offered when AUTH_CLIENT_CA_FILE is set. */
export const tlsClientAuthMethod = "tls_client_auth";

export type ClientAuthMethod = (typeof clientAuthMethods)[number] | typeof tlsClientAuthMethod;

/** The methods a server offers: tls_client_auth too when it requests client certificates. */
export function offeredClientAuthMethods(tlsClientAuth: boolean): ClientAuthMethod[] {
  const methods: ClientAuthMethod[] = [...clientAuthMethods];
  if (tlsClientAuth) methods.push(tlsClientAuthMethod);
  return methods;
}

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
    }
  | {
      readonly method: typeof tlsClientAuthMethod;
      readonly clientId: string;
      readonly certificate: PresentedCertificate;
    };

/** Client credentials as found in the request body (each may be absent). */
export interface BodyCredentials {
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly clientAssertionType?: string | undefined;
  readonly clientAssertion?: string | undefined;
}

const failed = "client authentication failed";

/** What the connection offers beside the request: whether tls_client_auth is on, and the certificate presented. */
export interface ConnectionCredentials {
  /** Whether the server requests client certificates (AUTH_CLIENT_CA_FILE); default false. */
  readonly tlsClientAuth?: boolean;
  readonly certificate?: PresentedCertificate | undefined;
}

/**
 * Picks the credentials out of the Authorization header, the body and (for tls_client_auth) the connection: with
 * tls_client_auth on, a body with client_id and no secret or assertion is a tls_client_auth attempt.
 * @throws OAuthError invalid_request when several methods are used or a body client_id contradicts the header;
 *   invalid_client (401) when there are no credentials or they are malformed (an assertion that is not a JWT, whose
 *   iss and sub differ, or whose sub contradicts client_id; client_id alone without a client certificate).
 */
export function readPresentedCredentials(
  authorization: string | undefined,
  body: BodyCredentials,
  connection: ConnectionCredentials = {},
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
  if (body.clientId !== undefined && connection.tlsClientAuth === true) {
    if (connection.certificate === undefined) {
      throw new OAuthError(
        "invalid_client",
        "client_secret is missing, and no client certificate was presented: send client_secret, or present the " +
          "client certificate (tls_client_auth) on the TLS connection",
      );
    }
    return { method: tlsClientAuthMethod, clientId: body.clientId, certificate: connection.certificate };
  }
  if (body.clientId !== undefined) throw new OAuthError("invalid_client", "client_secret is missing");
  if (body.clientSecret !== undefined) throw new OAuthError("invalid_client", "client_id is missing");
  const tls = connection.tlsClientAuth === true ? ", or present a client certificate and send only client_id (tls_client_auth)" : "";
  throw new OAuthError(
    "invalid_client",
    "client authentication is required: use HTTP Basic (client_secret_basic), send client_id and client_secret " +
      `in the body (client_secret_post), send client_assertion_type=${jwtBearerAssertionType} and a signed ` +
      `client_assertion (private_key_jwt)${tls}`,
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
 * @throws OAuthError invalid_client: "client authentication failed" for an unknown client, a wrong secret, a
 *   certificate with another subject or a disabled client alike (with a Basic challenge when Basic was used); for an
 *   assertion, what is wrong with it (client-assertion.ts); for a certificate that does not chain to the client CA,
 *   that. The store's error when it cannot answer.
 */
export async function authenticateClient(deps: ClientAuthenticationDeps, credentials: PresentedCredentials): Promise<ClientRecord> {
  if (credentials.method === "private_key_jwt") {
    const client = await deps.clients.find(credentials.clientId);
    return verifyClientAssertion(credentials.assertion, credentials.clientId, client, deps);
  }
  if (credentials.method === tlsClientAuthMethod) return authenticateByCertificate(deps, credentials.clientId, credentials.certificate);
  const client = await deps.clients.authenticate(credentials.clientId, credentials.clientSecret);
  if (client === undefined) {
    throw new OAuthError("invalid_client", failed, {
      basicChallenge: credentials.method === "client_secret_basic",
    });
  }
  return client;
}

// tls_client_auth (RFC 8705 §2.1.2): a certificate that chains to the client CA, whose subject is the client's DN.
async function authenticateByCertificate(deps: ClientAuthenticationDeps, clientId: string, certificate: PresentedCertificate): Promise<ClientRecord> {
  if (!certificate.trusted) {
    throw new OAuthError(
      "invalid_client",
      `the client certificate is not trusted (${certificate.untrustedReason ?? "unknown"}): it must be issued by a CA of the auth provider's AUTH_CLIENT_CA_FILE and valid now`,
    );
  }
  const client = await deps.clients.find(clientId);
  const registered = client?.disabled === false ? client.tlsClientAuthSubjectDn : undefined;
  if (client === undefined || registered === undefined || certificate.subject === undefined) throw new OAuthError("invalid_client", failed);
  if (!sameDistinguishedName(parseDistinguishedName(registered), certificate.subject)) throw new OAuthError("invalid_client", failed);
  return client;
}

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}
