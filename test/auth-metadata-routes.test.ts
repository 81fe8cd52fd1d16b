/**
 * End-to-end tests of everything but the token endpoint's main path: the
 * metadata documents (with the revocation and introspection endpoints, the
 * client authentication methods, scopes_supported from the scope catalog and
 * the DPoP proof algorithms), the JWKS, /healthz, JSON 404 and 405.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startAuthProvider, type AuthProviderUnderTest } from "./support/auth-provider.js";

let provider: AuthProviderUnderTest;

before(async () => {
  provider = await startAuthProvider();
});

after(async () => {
  assert.equal(await provider?.close(), 0);
});

describe("metadata, JWKS and other routes", () => {
  const metadataPaths = [
    "/auth/.well-known/openid-configuration",
    "/auth/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/auth", // RFC 8414 §3 location for an issuer with a path
  ];
  const methods = ["client_secret_basic", "client_secret_post", "private_key_jwt"];
  const algorithms = ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA", "Ed25519"];
  for (const path of metadataPaths) {
    it(`GET ${path}`, async () => {
      const response = await fetch(`${provider.server.url}${path}`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        issuer: provider.issuer,
        token_endpoint: `${provider.issuer}/oauth/token`,
        jwks_uri: `${provider.issuer}/jwt/jwks.json`,
        grant_types_supported: ["client_credentials"],
        token_endpoint_auth_methods_supported: methods,
        token_endpoint_auth_signing_alg_values_supported: algorithms,
        revocation_endpoint: `${provider.issuer}/oauth/revoke`,
        revocation_endpoint_auth_methods_supported: methods,
        revocation_endpoint_auth_signing_alg_values_supported: algorithms,
        introspection_endpoint: `${provider.issuer}/oauth/introspect`,
        introspection_endpoint_auth_methods_supported: methods,
        introspection_endpoint_auth_signing_alg_values_supported: algorithms,
        response_types_supported: [],
        scopes_supported: ["calendar.read", "calendar.write", "note.read", "note.write"], // every scope the proto defines
        dpop_signing_alg_values_supported: ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA"],
      });
    });
  }

  it("lists in scopes_supported the scopes of configured audiences beside the proto's", async () => {
    const configured = await startAuthProvider([], { AUTH_EXTRA_AUDIENCES: "billing-service=billing.read billing.write" });
    try {
      const metadata = (await (await fetch(`${configured.server.url}/auth/.well-known/oauth-authorization-server`)).json()) as { scopes_supported: string[] };
      assert.deepEqual(metadata.scopes_supported, ["billing.read", "billing.write", "calendar.read", "calendar.write", "note.read", "note.write"]);
    } finally {
      assert.equal(await configured.close(), 0);
    }
  });

  it("serves only public key parts in the JWKS, cacheable for 5 minutes", async () => {
    const response = await fetch(`${provider.server.url}/auth/jwt/jwks.json`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "public, max-age=300");
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    assert.equal(jwks.keys.length, 1);
    assert.deepEqual(Object.keys(jwks.keys[0]!).sort(), ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    assert.equal(jwks.keys[0]!["alg"], "ES256");
    assert.equal(jwks.keys[0]!["use"], "sig");
  });

  it("gives the JWKS a strong ETag, answers If-None-Match with 304 and HEAD without a body", async () => {
    const url = `${provider.server.url}/auth/jwt/jwks.json`;
    const response = await fetch(url);
    const etag = response.headers.get("etag");
    assert.match(etag ?? "", /^"[^"]+"$/, "strong");
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(response.headers.get("content-length"), String(Buffer.byteLength(await response.text())));
    const notModified = await fetch(url, { headers: { "if-none-match": etag! } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get("etag"), etag);
    assert.equal(notModified.headers.get("cache-control"), "public, max-age=300");
    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("etag"), etag);
    assert.equal(await head.text(), "");
    const logged = () => provider.server.logs().some((l) => l["msg"] === "request" && l["path"] === "/auth/jwt/jwks.json" && l["status"] === 304);
    for (let i = 0; i < 50 && !logged(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(logged(), "still in the request log");
  });

  it("answers /healthz", async () => {
    const response = await fetch(`${provider.server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok", backend: "embedded" });
  });

  it("answers unknown paths with a JSON 404", async () => {
    for (const path of ["/nope", "/auth/oauth/authorize", "/auth/%E0"]) {
      const response = await fetch(`${provider.server.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(((await response.json()) as { error: string }).error, "not_found");
    }
  });

  it("answers GET on the token endpoint with 405", async () => {
    const response = await fetch(`${provider.server.url}/auth/oauth/token`);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  });

  it("does not announce express", async () => {
    const response = await fetch(`${provider.server.url}/healthz`);
    assert.equal(response.headers.get("x-powered-by"), null);
  });
});

