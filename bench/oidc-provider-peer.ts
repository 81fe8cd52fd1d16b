/**
 * Starts the benchmark's peer authorization server (oidc-provider-server.ts)
 * with the same client credentials as our auth provider's assistant, so the
 * token requests of both differ only in how the audience is named (our
 * `audience`, its RFC 8707 `resource`).
 */
import type { ClientCredentials } from "../test/support/tokens.js";
import { freePort, startServer, type ServerProcess } from "./server-process.js";

/** The resource indicator that names `audience` at oidc-provider (RFC 8707 §2 wants an absolute URI). */
export const oidcProviderResource = (audience: string) => `urn:m2m:${audience}`;

/** Starts oidc-provider for `audience`, granting `scopes` to the client with `credentials`. */
export async function startOidcProviderPeer(credentials: ClientCredentials, audience: string, scopes: readonly string[]): Promise<ServerProcess> {
  const port = await freePort();
  return startServer({
    name: "oidc-provider",
    entry: "bench/oidc-provider-server.js",
    port,
    env: {
      BENCH_PORT: String(port),
      BENCH_CLIENT_ID: credentials.clientId,
      BENCH_CLIENT_SECRET: credentials.clientSecret,
      BENCH_RESOURCE: oidcProviderResource(audience),
      BENCH_AUDIENCE: audience,
      BENCH_SCOPES: scopes.join(" "),
    },
    ready: async (url) => (await fetch(`${url}/auth/jwt/jwks.json`)).ok,
  });
}
