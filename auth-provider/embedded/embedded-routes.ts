/**
 * The embedded issuer's routes: the token, revocation and introspection
 * endpoints, the published revocation list, JWKS and authorization server
 * metadata under /auth, plus the RFC 8414 location of the metadata.
 */
import type { Express } from "express";
import { authBasePath } from "../http/app.js";
import { createJwksHandler, createMetadataRoutes, jwksPath, wellKnownMetadataPath, type MetadataRoutesOptions } from "../http/authorization-server-metadata.js";
import { createIntrospectionEndpoint } from "../revocation/introspection-endpoint.js";
import type { IssuedTokenVerifier } from "../revocation/issued-token-verifier.js";
import type { PublishedRevocationListSource } from "../revocation/published-revocation-list.js";
import { createRevocationEndpoint } from "../revocation/revocation-endpoint.js";
import { createRevocationListRoute } from "../revocation/revocation-list-route.js";
import type { RevocationRepository } from "../storage/auth-store.js";
import { createTokenEndpoint, type TokenEndpointOptions } from "../token/token-endpoint.js";

/** What the embedded issuer's routes need. */
export interface EmbeddedRoutesDeps extends TokenEndpointOptions, MetadataRoutesOptions {
  /** Checks tokens presented for revocation or introspection. */
  readonly verifyToken: IssuedTokenVerifier;
  readonly revocations: RevocationRepository;
  /** The revocation list as published. */
  readonly revocationList: PublishedRevocationListSource;
}

/** Mounts the endpoints, the revocation list, JWKS and metadata under /auth, and the RFC 8414 metadata location, on app. */
export function mountEmbeddedRoutes(app: Express, deps: EmbeddedRoutesDeps): void {
  const metadata = createMetadataRoutes(deps);
  // First, so the most fetched public document skips the other routers (after the request log and spans, as before).
  app.get(`${authBasePath}${jwksPath}`, createJwksHandler(deps.jwks));
  app.use(authBasePath, createTokenEndpoint(deps));
  app.use(authBasePath, createRevocationEndpoint(deps));
  app.use(authBasePath, createIntrospectionEndpoint(deps));
  app.use(authBasePath, createRevocationListRoute({ ...deps, list: deps.revocationList }));
  app.use(authBasePath, metadata);
  // RFC 8414 §3 puts the metadata of an issuer with a path at /.well-known/oauth-authorization-server/<path>.
  // Compared as a plain string: the issuer's path is configuration, not a route pattern.
  const wellKnown = wellKnownMetadataPath(deps.issuer);
  app.use((req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || req.path !== wellKnown) return next();
    req.url = "/.well-known/oauth-authorization-server";
    metadata(req, res, next);
  });
}
