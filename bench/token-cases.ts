/**
 * The token endpoint and the JWKS, ours beside oidc-provider's (the peer row
 * of issue 17): the same client-credentials request (client_secret_basic, a
 * form body, one audience, one scope) and the same GET of the JWKS, over 16
 * keep-alive HTTP/1.1 connections, each of ours run right before or after the
 * peer's in every round (see pairedGroups in load-cases.ts).
 */
import { createRequire } from "node:module";
import type { ClientCredentials } from "../test/support/tokens.js";
import type { BenchSettings } from "./bench-settings.js";
import type { LoadCase } from "./load-cases.js";
import { oidcProviderResource } from "./oidc-provider-peer.js";
import { jwksRequest, peerTokenRequest, tokenRequest } from "./requests.js";
import type { ServerProcess } from "./server-process.js";

/** The two authorization servers and the client both know. */
export interface TokenPeers {
  readonly auth: ServerProcess;
  readonly oidcProvider: ServerProcess;
  readonly credentials: ClientCredentials;
}

/** The audience and scope every token is asked for (the notes service, reading). */
export const tokenAudience = "note-service";
export const tokenScope = "note.read";

/** The oidc-provider version installed, for the row labels. */
export const oidcProviderVersion = (createRequire(import.meta.url)("oidc-provider/package.json") as { version: string }).version;

export function tokenCases(peers: TokenPeers, settings: BenchSettings): LoadCase[] {
  const { auth, oidcProvider, credentials } = peers;
  const concurrency = settings.tokenConcurrency;
  const http1 = `HTTP/1.1 ×${concurrency}`;
  const peer = `oidc-provider ${oidcProviderVersion}`;
  const loaded = (id: LoadCase["id"], label: string, server: ServerProcess, plan: LoadCase["plan"]): LoadCase => ({ id, label, group: "throughput", server, concurrency, plan });
  return [
    loaded("token", `token endpoint (tokens/s), ${http1}`, auth, (s) => tokenRequest(auth.url, credentials, tokenAudience, tokenScope, s)),
    loaded("token-oidc-provider", `token endpoint, ${peer} (tokens/s), ${http1}`, oidcProvider, (s) =>
      peerTokenRequest(oidcProvider.url, credentials, oidcProviderResource(tokenAudience), tokenScope, s),
    ),
    loaded("jwks", `JWKS (requests/s), ${http1}`, auth, (s) => jwksRequest(auth.url, s)),
    loaded("jwks-oidc-provider", `JWKS, ${peer} (requests/s), ${http1}`, oidcProvider, (s) => jwksRequest(oidcProvider.url, s)),
  ];
}
