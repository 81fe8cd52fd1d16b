/**
 * The embedded issuer's routes: token endpoint, JWKS and authorization server
 * metadata under /auth, plus the RFC 8414 location of the metadata.
 */
import type { Express } from "express";
import { authBasePath } from "../http/app.js";
import { createMetadataRoutes, wellKnownMetadataPath, type MetadataRoutesOptions, type ScopeSource } from "../http/authorization-server-metadata.js";
import type { ClientAuthenticator } from "../clients/client-authentication.js";
import { createTokenEndpoint, type TokenEndpointOptions } from "../token/token-endpoint.js";

/** What the embedded issuer's routes need: the token endpoint's options plus the published keys. */
export interface EmbeddedRoutesDeps extends Omit<TokenEndpointOptions, "clientStore">, Omit<MetadataRoutesOptions, "clientStore"> {
  /** Authenticates clients and lists their scopes. */
  readonly clientStore: ClientAuthenticator & ScopeSource;
}

/** Mounts the token endpoint, JWKS and metadata under /auth, and the RFC 8414 metadata location, on app. */
export function mountEmbeddedRoutes(app: Express, deps: EmbeddedRoutesDeps): void {
  const metadata = createMetadataRoutes(deps);
  app.use(authBasePath, createTokenEndpoint(deps));
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
