/**
 * The embedded issuer's routes: token endpoint, JWKS and authorization server
 * metadata under /auth, plus the RFC 8414 location of the metadata.
 */
import type { Express } from "express";
import type { AccessTokenSigner } from "./access-token-signer.js";
import { authBasePath } from "./app.js";
import { createMetadataRoutes, wellKnownMetadataPath } from "./authorization-server-metadata.js";
import type { ClientStore } from "./client-store.js";
import type { PublicJwks } from "./issuer-keys.js";
import { createTokenEndpoint } from "./token-endpoint.js";

export interface EmbeddedRoutesDeps {
  readonly issuer: string;
  readonly jwks: PublicJwks;
  readonly clientStore: ClientStore;
  readonly signer: AccessTokenSigner;
  /** Token lifetime for clients without their own. */
  readonly tokenTtlSeconds: number;
}

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
