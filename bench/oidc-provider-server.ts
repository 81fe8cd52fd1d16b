/**
 * The benchmark's peer authorization server: oidc-provider (panva), the most
 * used Node OAuth 2.0 / OpenID Connect server, configured like our embedded
 * issuer for machine-to-machine calls: the client_credentials grant only, one
 * confidential client (client_secret_basic), ES256-signed JWT access tokens
 * for a resource server named by an RFC 8707 resource indicator, nothing
 * stored per token. Its token endpoint and JWKS sit at the same paths as
 * ours, so the same load plans drive both. For comparison only.
 *
 * Environment: BENCH_PORT; BENCH_CLIENT_ID and BENCH_CLIENT_SECRET (the
 * client's credentials); BENCH_RESOURCE (the resource indicator of the one
 * resource server), BENCH_AUDIENCE (its name, the aud of its tokens) and
 * BENCH_SCOPES (space-separated scopes it grants).
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import Provider from "oidc-provider";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`oidc-provider-server: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
};

const port = Number(env("BENCH_PORT"));
const resource = env("BENCH_RESOURCE");
const audience = env("BENCH_AUDIENCE");
const scopes = env("BENCH_SCOPES");
const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const signingJwk = { ...privateKey.export({ format: "jwk" }), kid: "bench-es256", alg: "ES256", use: "sig" };

const provider = new Provider(`http://127.0.0.1:${port}/auth`, {
  clients: [
    {
      client_id: env("BENCH_CLIENT_ID"),
      client_secret: env("BENCH_CLIENT_SECRET"),
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "ES256",
    },
  ],
  jwks: { keys: [signingJwk] },
  ttl: { ClientCredentials: 3600 },
  cookies: { keys: [randomBytes(32).toString("base64url")] },
  scopes: scopes.split(" "),
  routes: { token: "/auth/oauth/token", jwks: "/auth/jwt/jwks.json" },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: unknown, requested: string) => {
        if (requested !== resource) throw new Error(`unknown resource ${requested}`);
        return { scope: scopes, audience, accessTokenTTL: 3600, accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } };
      },
    },
  },
});

const server = createServer(provider.callback());
server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
