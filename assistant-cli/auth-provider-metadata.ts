/**
 * What the assistant reads from the auth provider's discovery document
 * (RFC 8414), once per process and auth URL: its issuer identifier (the
 * audience of client assertions) and the DPoP algorithms it accepts
 * (`dpop_signing_alg_values_supported`, RFC 9449 §5.1). A document that
 * cannot be read counts as empty: no issuer (callers fall back to the token
 * endpoint URL) and no DPoP (Bearer tokens, as before DPoP). Only an answer
 * is remembered: after a network failure or a 5xx the next ask tries again,
 * so a long session (the terminal UI) does not stay without DPoP because the
 * auth provider was down at its first token request.
 */
import type { FetchLike } from "../common/fetch-trusting-ca.js";
import { discoveryUrl } from "./client-assertion.js";

export interface AuthProviderMetadata {
  readonly issuer?: string;
  /** Empty when the auth provider does not advertise DPoP. */
  readonly dpopSigningAlgorithms: readonly string[];
}

const timeoutMs = 10_000;
const documents = new Map<string, Promise<AuthProviderMetadata>>();

/** The metadata of the auth provider at authUrl, fetched with `get` until it answers; never rejects. */
export function authProviderMetadata(authUrl: string, get: FetchLike): Promise<AuthProviderMetadata> {
  let metadata = documents.get(authUrl);
  if (metadata === undefined) {
    const forget = (): AuthProviderMetadata => {
      documents.delete(authUrl);
      return { dpopSigningAlgorithms: [] };
    };
    metadata = get(discoveryUrl(authUrl), { headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) })
      .then(async (response) => {
        if (response.status >= 500) return forget();
        return response.ok ? parseMetadata(await response.json()) : { dpopSigningAlgorithms: [] };
      })
      .catch(forget);
    documents.set(authUrl, metadata);
  }
  return metadata;
}

/** The fields the assistant uses, each kept only when it has the right type. */
export function parseMetadata(document: unknown): AuthProviderMetadata {
  const fields = typeof document === "object" && document !== null ? (document as Record<string, unknown>) : {};
  const issuer = fields["issuer"];
  const algorithms = fields["dpop_signing_alg_values_supported"];
  return {
    ...(typeof issuer === "string" ? { issuer } : {}),
    dpopSigningAlgorithms: Array.isArray(algorithms) ? algorithms.filter((alg): alg is string => typeof alg === "string") : [],
  };
}
