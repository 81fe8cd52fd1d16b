/**
 * What the auth provider publishes about itself: the RFC 8414 authorization
 * server metadata (also served as the OpenID discovery document, as SuperTokens
 * does) and the public JWKS.
 */
import express, { type Router } from "express";
import type { PublicJwks } from "../keys/key-ring.js";

/** The JWKS path below the base path. */
export const jwksPath = "/jwt/jwks.json";

/** RFC 8414 metadata for a client-credentials-only authorization server. */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly grant_types_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  /** Empty: there is no authorization endpoint, so no response type is supported. */
  readonly response_types_supported: readonly string[];
  readonly scopes_supported: readonly string[];
}

/** The metadata for issuer; endpoint URLs are the issuer URL plus their paths. */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[]): AuthorizationServerMetadata {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}${jwksPath}`,
    grant_types_supported: ["client_credentials"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    response_types_supported: [],
    scopes_supported: scopes,
  };
}

/** What the metadata and JWKS routes need. */
export interface MetadataRoutesOptions {
  readonly issuer: string;
  /** The keys to publish, asked for per request (they change with rotation). */
  readonly jwks: () => PublicJwks;
  /** Source of scopes_supported, read on each request so new clients show up. */
  readonly clientStore: ScopeSource;
}

/** Where scopes_supported comes from: the client store (SQLite answers at once, PostgreSQL with a promise). */
export interface ScopeSource {
  allScopes(): readonly string[] | Promise<readonly string[]>;
}

/**
 * Routes, relative to the base path: GET /.well-known/openid-configuration, GET
 * /.well-known/oauth-authorization-server and GET /jwt/jwks.json (cacheable for 5 minutes).
 */
export function createMetadataRoutes(options: MetadataRoutesOptions): Router {
  const router = express.Router();
  const metadata: express.RequestHandler = async (_req, res) => {
    const scopes = await options.clientStore.allScopes();
    res.set("Cache-Control", "public, max-age=300");
    res.json(authorizationServerMetadata(options.issuer, scopes));
  };
  router.get("/.well-known/openid-configuration", metadata);
  router.get("/.well-known/oauth-authorization-server", metadata);
  router.get(jwksPath, (_req, res) => {
    res.set("Cache-Control", "public, max-age=300");
    res.json(options.jwks());
  });
  return router;
}

/**
 * The RFC 8414 §3 location of the metadata for an issuer with a path: /.well-known/oauth-authorization-server
 * followed by the issuer's path (e.g. "/.well-known/oauth-authorization-server/auth").
 */
export function wellKnownMetadataPath(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/+$/, "");
  return `/.well-known/oauth-authorization-server${path}`;
}
