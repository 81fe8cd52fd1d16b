/**
 * The client-credentials grant from the assistant's side: one POST to the
 * auth provider's token endpoint (client_secret_basic, form body), over TLS
 * trusting a given CA when asked. Failures become CliErrors that say what to do.
 */
import { createFetchTrustingCa, type FetchLike } from "../common/fetch-trusting-ca.js";
import { describeTlsFailure } from "../common/tls.js";
import { CliError } from "../common/cli-error.js";
import type { ClientCredentials } from "./client-credentials.js";

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

export async function requestAccessToken(
  authUrl: string,
  credentials: ClientCredentials,
  audience: string,
  scope: string,
  options: TokenRequestOptions = {},
): Promise<IssuedToken> {
  const fetchToken = options.ca === undefined ? fetch : fetchTrusting(options.ca);
  const basic = Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString("base64");
  let response: Response;
  try {
    response = await fetchToken(`${authUrl}/auth/oauth/token`, {
      method: "POST",
      headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ grant_type: "client_credentials", audience, scope }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const tls = describeTlsFailure(err, authUrl, caFileHint);
    if (tls !== undefined) throw new CliError("unreachable", `cannot reach the auth provider: ${tls}`, { cause: err });
    throw new CliError("unreachable", `cannot reach the auth provider at ${authUrl} — is \`npm start\` running?`, { cause: err });
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok && typeof body["access_token"] === "string" && typeof body["expires_in"] === "number") {
    return {
      accessToken: body["access_token"],
      expiresAt: Date.now() + body["expires_in"] * 1000,
      scope: typeof body["scope"] === "string" ? body["scope"] : scope,
    };
  }
  const error = typeof body["error"] === "string" ? body["error"] : `HTTP ${response.status}`;
  const description = typeof body["error_description"] === "string" ? `: ${body["error_description"]}` : "";
  if (response.status === 429) {
    const wait = Number(response.headers.get("retry-after"));
    const when = Number.isFinite(wait) && wait > 0 ? `in ${wait} s` : "later";
    throw new CliError("auth", `the auth provider is slowing down token requests for this client after failed logins${description} — try again ${when}`);
  }
  if (error === "invalid_client") {
    throw new CliError("auth", `the auth provider rejected the assistant's credentials (invalid_client${description}) — check ASSISTANT_CLIENT_ID/ASSISTANT_CLIENT_SECRET or clients.json`);
  }
  if (response.status >= 500 || response.status === 404) {
    throw new CliError("unreachable", `the auth provider at ${authUrl} answered ${error}${description}`);
  }
  throw new CliError("auth", `the auth provider refused a token for ${audience} with scope ${scope} (${error}${description})`);
}
