/**
 * The client-credentials grant from the assistant's side: one POST to the
 * auth provider's token endpoint (form body), over TLS trusting a given CA
 * when asked, presenting a client certificate when it has one. The client
 * authenticates with its secret (client_secret_basic), a client assertion
 * signed by its private key (private_key_jwt, RFC 7523) or its certificate
 * (tls_client_auth, RFC 8705). With a DPoP key the request carries a proof
 * and the token is bound to that key (RFC 9449 §5). Failures become
 * CliErrors that say what to do.
 */
import type { ClientCertificate } from "../common/client-certificate.js";
import { createFetchTrustingCa, type FetchLike } from "../common/fetch-trusting-ca.js";
import { describeTlsFailure } from "../common/tls.js";
import { CliError } from "../common/cli-error.js";
import { authProviderMetadata } from "./auth-provider-metadata.js";
import { privateKeyFileVariable, usesCertificate, usesPrivateKey, type ClientCredentials } from "./client-credentials.js";
import { clientAssertionType, signClientAssertion } from "./client-assertion.js";
import type { DpopKey } from "./dpop-key.js";
import { signDpopProof } from "./dpop-proof-signer.js";
import { dpopVariable } from "./settings.js";
import { inTokenRequestSpan } from "./token-request-span.js";

/** How a token is presented: `Bearer`, or `DPoP` with a proof of the key it is bound to. */
export type TokenType = "Bearer" | "DPoP";

export interface IssuedToken {
  accessToken: string;
  tokenType: TokenType;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  scope: string;
}

const timeoutMs = 10_000;

export interface TokenRequestOptions {
  /** PEM of the CA(s) to trust for an https auth URL, besides Node's built-in roots (--ca-file). */
  ca?: string | undefined;
  /** Presented on TLS connections to the auth provider (--client-cert); default none. */
  clientCertificate?: ClientCertificate | undefined;
  /** Ask for a token bound to this key (a DPoP proof with the request); default a Bearer token. */
  dpopKey?: DpopKey | undefined;
}

// The fetch of the last TLS options asked for (the assistant has one set), so requests share its connection pool.
let configured: { ca: string | undefined; certificate: ClientCertificate | undefined; fetch: FetchLike } | undefined;
function fetchFor(options: TokenRequestOptions): FetchLike {
  const { ca, clientCertificate: certificate } = options;
  if (ca === undefined && certificate === undefined) return fetch;
  if (configured === undefined || configured.ca !== ca || configured.certificate !== certificate) {
    configured = { ca, certificate, fetch: createFetchTrustingCa(ca, certificate) };
  }
  return configured.fetch;
}

/** What to do about a certificate the assistant does not trust. */
export const caFileHint = "pass --ca-file (or set ASSISTANT_CA_FILE) with the CA that signed it";

/** Whether the auth provider at authUrl issues DPoP-bound tokens for proofs this assistant signs (ES256). */
export async function dpopAdvertised(authUrl: string, options: TokenRequestOptions = {}): Promise<boolean> {
  return (await authProviderMetadata(authUrl, fetchFor(options))).dpopSigningAlgorithms.includes("ES256");
}

/**
 * Revokes a token the client holds (RFC 7009), authenticating as for a token. Resolves once the auth provider
 * confirmed; the services refuse the token within seconds.
 */
export async function revokeAccessToken(authUrl: string, credentials: ClientCredentials, token: string, options: TokenRequestOptions = {}): Promise<void> {
  let response: Response;
  try {
    response = await postAuthenticated(authUrl, `${authUrl}/auth/oauth/revoke`, credentials, new URLSearchParams({ token, token_type_hint: "access_token" }), options);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError("unreachable", `cannot reach the auth provider at ${authUrl} to revoke a token`, { cause: err });
  }
  if (response.ok) return;
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  const description = typeof answer["error_description"] === "string" ? `: ${answer["error_description"]}` : "";
  throw new CliError(response.status >= 500 ? "unreachable" : "auth", `the auth provider refused to revoke the token (${String(answer["error"] ?? `HTTP ${response.status}`)}${description})`);
}

// POSTs a form to an endpoint of the auth provider with the client's authentication: HTTP Basic with the secret,
// a client assertion (whose audience is the issuer, else the token endpoint URL) in the body, or the client id alone
// beside the TLS client certificate. With a DPoP key, a proof for this URL in the DPoP header.
async function postAuthenticated(authUrl: string, url: string, credentials: ClientCredentials, body: URLSearchParams, options: TokenRequestOptions): Promise<Response> {
  const post = fetchFor(options);
  const tokenEndpoint = `${authUrl}/auth/oauth/token`;
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  if (usesPrivateKey(credentials)) {
    body.set("client_id", credentials.clientId);
    body.set("client_assertion_type", clientAssertionType);
    body.set("client_assertion", await signClientAssertion(credentials, tokenEndpoint, (await authProviderMetadata(authUrl, post)).issuer ?? tokenEndpoint));
  } else if (usesCertificate(credentials)) {
    if (!url.startsWith("https:")) {
      throw new CliError("usage", `a client certificate authenticates only over TLS, and the auth URL ${authUrl} is plain HTTP: use an https:// --auth-url`);
    }
    body.set("client_id", credentials.clientId);
  } else {
    headers["authorization"] = `Basic ${Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString("base64")}`;
  }
  if (options.dpopKey !== undefined) headers["dpop"] = signDpopProof(options.dpopKey, { method: "POST", url });
  return inTokenRequestSpan("POST", url, headers, () => post(url, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) }));
}

export async function requestAccessToken(
  authUrl: string,
  credentials: ClientCredentials,
  audience: string,
  scope: string,
  options: TokenRequestOptions = {},
): Promise<IssuedToken> {
  const body = new URLSearchParams({ grant_type: "client_credentials", audience, scope });
  let response: Response;
  try {
    response = await postAuthenticated(authUrl, `${authUrl}/auth/oauth/token`, credentials, body, options);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const tls = describeTlsFailure(err, authUrl, caFileHint);
    if (tls !== undefined) throw new CliError("unreachable", `cannot reach the auth provider: ${tls}`, { cause: err });
    throw new CliError("unreachable", `cannot reach the auth provider at ${authUrl} — is \`npm start\` running?`, { cause: err });
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok && typeof answer["access_token"] === "string" && typeof answer["expires_in"] === "number") {
    return {
      accessToken: answer["access_token"],
      // Only a token asked for with a proof is DPoP-bound; RFC 9449 §5 lets a server answer Bearer even then.
      tokenType: options.dpopKey !== undefined && String(answer["token_type"]).toLowerCase() === "dpop" ? "DPoP" : "Bearer",
      expiresAt: Date.now() + answer["expires_in"] * 1000,
      scope: typeof answer["scope"] === "string" ? answer["scope"] : scope,
    };
  }
  throw refusal(response, answer, { authUrl, credentials, audience, scope, dpop: options.dpopKey !== undefined });
}

// The CliError for a token request the auth provider answered with an error.
function refusal(
  response: Response,
  answer: Record<string, unknown>,
  request: { authUrl: string; credentials: ClientCredentials; audience: string; scope: string; dpop: boolean },
): CliError {
  const { credentials } = request;
  const error = typeof answer["error"] === "string" ? answer["error"] : `HTTP ${response.status}`;
  const description = typeof answer["error_description"] === "string" ? `: ${answer["error_description"]}` : "";
  if (response.status === 429) {
    const wait = Number(response.headers.get("retry-after"));
    const when = Number.isFinite(wait) && wait > 0 ? `in ${wait} s` : "later";
    return new CliError("auth", `the auth provider is slowing down token requests for this client (${error}${description}) — try again ${when}`);
  }
  if (error === "invalid_client") {
    const check = usesPrivateKey(credentials)
      ? `check ASSISTANT_CLIENT_ID and ${privateKeyFileVariable} (${credentials.keyFile}): is this the key registered for ${credentials.clientId}?`
      : usesCertificate(credentials)
        ? `check ASSISTANT_CLIENT_ID and --client-cert: is ${credentials.clientId} registered with the certificate's subject (${credentials.certificateSubject}) and its CA trusted by the auth provider?`
        : "check ASSISTANT_CLIENT_ID/ASSISTANT_CLIENT_SECRET or clients.json";
    return new CliError("auth", `the auth provider rejected the assistant's credentials (invalid_client${description}) — ${check}`);
  }
  if (error === "invalid_dpop_proof") {
    const fix = request.dpop
      ? "check this machine's clock, or delete the DPoP key beside the token cache"
      : `this client must use DPoP: drop --no-dpop (and ${dpopVariable}=0)`;
    return new CliError("auth", `the auth provider refused a token for ${request.audience} (invalid_dpop_proof${description}) — ${fix}`);
  }
  if (response.status >= 500 || response.status === 404) {
    return new CliError("unreachable", `the auth provider at ${request.authUrl} answered ${error}${description}`);
  }
  return new CliError("auth", `the auth provider refused a token for ${request.audience} with scope ${request.scope} (${error}${description})`);
}
