/**
 * What the auth provider publishes about itself: the RFC 8414 authorization
 * server metadata (also served as the OpenID discovery document, as SuperTokens
 * does) and the public JWKS. Sender-constrained tokens: DPoP proofs are
 * accepted at the token endpoint (dpop_signing_alg_values_supported; no
 * server nonces, so no nonce metadata), and with client certificates requested
 * (AUTH_CLIENT_CA_FILE) tls_client_auth is offered and its tokens are
 * certificate-bound (RFC 8705 §3.3 tls_client_certificate_bound_access_tokens).
 */
import express, { type Router } from "express";
import { assertionSigningAlgorithms } from "../clients/client-assertion.js";
import { offeredClientAuthMethods } from "../clients/client-authentication.js";
import { dpopSigningAlgorithms } from "../../interceptor/dpop-proof.js";
import { createJwksResponder } from "./prepared-jwks.js";
import type { PublicJwks } from "../keys/key-ring.js";
import type { ScopeCatalog } from "../policy/scope-catalog.js";
import { introspectionEndpointPath } from "../revocation/introspection-endpoint.js";
import { revocationEndpointPath } from "../revocation/revocation-endpoint.js";
import { tokenEndpointPath } from "../token/token-endpoint.js";

/** The JWKS path below the base path. */
export const jwksPath = "/jwt/jwks.json";

/** RFC 8414 metadata for a client-credentials-only authorization server. */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly grant_types_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  /** The algorithms accepted for private_key_jwt client assertions. */
  readonly token_endpoint_auth_signing_alg_values_supported: readonly string[];
  /** RFC 7009, with the token endpoint's client authentication. */
  readonly revocation_endpoint: string;
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_signing_alg_values_supported: readonly string[];
  /** RFC 7662, with the token endpoint's client authentication. */
  readonly introspection_endpoint: string;
  readonly introspection_endpoint_auth_methods_supported: readonly string[];
  readonly introspection_endpoint_auth_signing_alg_values_supported: readonly string[];
  /** Empty: there is no authorization endpoint, so no response type is supported. */
  readonly response_types_supported: readonly string[];
  readonly scopes_supported: readonly string[];
  /** RFC 9449 §5.1: the token endpoint accepts DPoP proofs signed with these. */
  readonly dpop_signing_alg_values_supported: readonly string[];
  /** RFC 8705 §3.3: present (true) only when client certificates are requested. */
  readonly tls_client_certificate_bound_access_tokens?: true;
}

/**
 * The metadata for issuer; endpoint URLs are the issuer URL plus their paths. tlsClientAuth (default false): the
 * server requests client certificates, so it offers tls_client_auth and binds those clients' tokens.
 */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[], options: { tlsClientAuth?: boolean } = {}): AuthorizationServerMetadata {
  const tlsClientAuth = options.tlsClientAuth === true;
  const methods = offeredClientAuthMethods(tlsClientAuth);
  const algorithms = [...assertionSigningAlgorithms];
  return {
    issuer,
    token_endpoint: `${issuer}${tokenEndpointPath}`,
    jwks_uri: `${issuer}${jwksPath}`,
    grant_types_supported: ["client_credentials"],
    token_endpoint_auth_methods_supported: methods,
    token_endpoint_auth_signing_alg_values_supported: algorithms,
    revocation_endpoint: `${issuer}${revocationEndpointPath}`,
    revocation_endpoint_auth_methods_supported: methods,
    revocation_endpoint_auth_signing_alg_values_supported: algorithms,
    introspection_endpoint: `${issuer}${introspectionEndpointPath}`,
    introspection_endpoint_auth_methods_supported: methods,
    introspection_endpoint_auth_signing_alg_values_supported: algorithms,
    response_types_supported: [],
    scopes_supported: scopes,
    dpop_signing_alg_values_supported: [...dpopSigningAlgorithms],
    ...(tlsClientAuth ? { tls_client_certificate_bound_access_tokens: true as const } : {}),
  };
}

/** What the metadata and JWKS routes need. */
export interface MetadataRoutesOptions {
  readonly issuer: string;
  /** The keys to publish, asked for per request (they change with rotation). */
  readonly jwks: () => PublicJwks;
  /** scopes_supported: every scope some audience defines. */
  readonly catalog: Pick<ScopeCatalog, "allScopes">;
  /** Whether client certificates are requested (tls_client_auth offered); default false. */
  readonly tlsClientAuth?: boolean;
}

/**
 * Routes, relative to the base path: GET /.well-known/openid-configuration and GET
 * /.well-known/oauth-authorization-server (cacheable for 5 minutes). The JWKS is {@link createJwksRoute}.
 */
export function createMetadataRoutes(options: MetadataRoutesOptions): Router {
  const router = express.Router();
  const document = authorizationServerMetadata(options.issuer, [...options.catalog.allScopes].sort(), { tlsClientAuth: options.tlsClientAuth === true });
  const metadata: express.RequestHandler = (_req, res) => {
    res.set("Cache-Control", "public, max-age=300");
    res.json(document);
  };
  router.get("/.well-known/openid-configuration", metadata);
  router.get("/.well-known/oauth-authorization-server", metadata);
  return router;
}

/**
 * The handler of GET (and so HEAD) at the base path plus {@link jwksPath}, answered from a body prepared once per key
 * set (cacheable for 5 minutes, strong ETag, 304 on If-None-Match). Mount it before the other routes under the base path.
 */
export function createJwksHandler(jwks: () => PublicJwks): express.RequestHandler {
  const respond = createJwksResponder(jwks);
  return (req, res) => respond(req, res);
}

/**
 * The RFC 8414 §3 location of the metadata for an issuer with a path: /.well-known/oauth-authorization-server
 * followed by the issuer's path (e.g. "/.well-known/oauth-authorization-server/auth").
 */
export function wellKnownMetadataPath(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/+$/, "");
  return `/.well-known/oauth-authorization-server${path}`;
}
