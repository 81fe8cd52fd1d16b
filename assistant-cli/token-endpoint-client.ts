/**
 * The client-credentials grant from the assistant's side: one POST to the
 * auth provider's token endpoint (form body), over TLS trusting a given CA
 * when asked. The client authenticates with its secret (client_secret_basic)
 * or with a client assertion signed by its private key (private_key_jwt,
 * RFC 7523). Failures become CliErrors that say what to do.
 */
import { createFetchTrustingCa, type FetchLike } from "../common/fetch-trusting-ca.js";
import { describeTlsFailure } from "../common/tls.js";
import { CliError } from "../common/cli-error.js";
import { privateKeyFileVariable, usesPrivateKey, type ClientCredentials } from "./client-credentials.js";
import { clientAssertionType, discoveryUrl, signClientAssertion } from "./client-assertion.js";

export interface IssuedToken {
  accessToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  scope: string;
}

const timeoutMs = 10_000;

export interface TokenRequestOptions {
  /** PEM of the CA(s) to trust for an https auth URL, besides Node's built-in roots (--ca-file). */
  ca?: string | undefined;
}

// The fetch of the last CA asked for (the assistant has one), so token requests share its connection pool.
let trusting: { ca: string; fetch: FetchLike } | undefined;
function fetchTrusting(ca: string): FetchLike {
  if (trusting?.ca !== ca) trusting = { ca, fetch: createFetchTrustingCa(ca) };
  return trusting.fetch;
}

/** What to do about a certificate the assistant does not trust. */
export const caFileHint = "pass --ca-file (or set ASSISTANT_CA_FILE) with the CA that signed it";

/**
 * Revokes a token the client holds (RFC 7009), authenticating as for a token. Resolves once the auth provider
 * confirmed; the services refuse the token within seconds.
 */
export async function revokeAccessToken(authUrl: string, credentials: ClientCredentials, token: string, options: TokenRequestOptions = {}): Promise<void> {
  let response: Response;
  try {
    response = await postAuthenticated(authUrl, `${authUrl}/auth/oauth/revoke`, credentials, new URLSearchParams({ token, token_type_hint: "access_token" }), options);
  } catch (err) {
    throw new CliError("unreachable", `cannot reach the auth provider at ${authUrl} to revoke a token`, { cause: err });
  }
  if (response.ok) return;
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  const description = typeof answer["error_description"] === "string" ? `: ${answer["error_description"]}` : "";
  throw new CliError(response.status >= 500 ? "unreachable" : "auth", `the auth provider refused to revoke the token (${String(answer["error"] ?? `HTTP ${response.status}`)}${description})`);
}

// The issuer identifier of the auth provider at authUrl, read from its discovery document once per process;
// undefined when it cannot be read (the assertion then names the token endpoint URL as called).
const issuers = new Map<string, Promise<string | undefined>>();
function issuerOf(authUrl: string, post: FetchLike): Promise<string | undefined> {
  let issuer = issuers.get(authUrl);
  if (issuer === undefined) {
    issuer = post(discoveryUrl(authUrl), { headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) })
      .then(async (response) => (response.ok ? ((await response.json()) as { issuer?: unknown }).issuer : undefined))
      .then((value) => (typeof value === "string" ? value : undefined))
      .catch(() => undefined);
    issuers.set(authUrl, issuer);
  }
  return issuer;
}

// POSTs a form to an endpoint of the auth provider with the client's authentication: HTTP Basic with the secret, or
// a client assertion (whose audience is the token endpoint URL) in the body.
async function postAuthenticated(authUrl: string, url: string, credentials: ClientCredentials, body: URLSearchParams, options: TokenRequestOptions): Promise<Response> {
  const post = options.ca === undefined ? fetch : fetchTrusting(options.ca);
  const tokenEndpoint = `${authUrl}/auth/oauth/token`;
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  if (usesPrivateKey(credentials)) {
    body.set("client_id", credentials.clientId);
    body.set("client_assertion_type", clientAssertionType);
    body.set("client_assertion", await signClientAssertion(credentials, tokenEndpoint, (await issuerOf(authUrl, post)) ?? tokenEndpoint));
  } else {
    headers["authorization"] = `Basic ${Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString("base64")}`;
  }
  return post(url, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) });
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
    const tls = describeTlsFailure(err, authUrl, caFileHint);
    if (tls !== undefined) throw new CliError("unreachable", `cannot reach the auth provider: ${tls}`, { cause: err });
    throw new CliError("unreachable", `cannot reach the auth provider at ${authUrl} — is \`npm start\` running?`, { cause: err });
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok && typeof answer["access_token"] === "string" && typeof answer["expires_in"] === "number") {
    return {
      accessToken: answer["access_token"],
      expiresAt: Date.now() + answer["expires_in"] * 1000,
      scope: typeof answer["scope"] === "string" ? answer["scope"] : scope,
    };
  }
  const error = typeof answer["error"] === "string" ? answer["error"] : `HTTP ${response.status}`;
  const description = typeof answer["error_description"] === "string" ? `: ${answer["error_description"]}` : "";
  if (response.status === 429) {
    const wait = Number(response.headers.get("retry-after"));
    const when = Number.isFinite(wait) && wait > 0 ? `in ${wait} s` : "later";
    throw new CliError("auth", `the auth provider is slowing down token requests for this client (${error}${description}) — try again ${when}`);
  }
  if (error === "invalid_client") {
    const check = usesPrivateKey(credentials)
      ? `check ASSISTANT_CLIENT_ID and ${privateKeyFileVariable} (${credentials.keyFile}): is this the key registered for ${credentials.clientId}?`
      : "check ASSISTANT_CLIENT_ID/ASSISTANT_CLIENT_SECRET or clients.json";
    throw new CliError("auth", `the auth provider rejected the assistant's credentials (invalid_client${description}) — ${check}`);
  }
  if (response.status >= 500 || response.status === 404) {
    throw new CliError("unreachable", `the auth provider at ${authUrl} answered ${error}${description}`);
  }
  throw new CliError("auth", `the auth provider refused a token for ${audience} with scope ${scope} (${error}${description})`);
}
