/**
 * The embedded issuer's routes: the token, revocation and introspection
 * endpoints, the published revocation list, JWKS and authorization server
 * metadata under /auth, plus the RFC 8414 location of the metadata. The token
 * endpoint's plain-form POSTs and the JWKS are also served ahead of express
 * (http/plain-routes.ts), by the same handlers.
 */
import type { Express, RequestHandler } from "express";
import { authBasePath } from "../http/app.js";
import type { PlainRoute } from "../http/plain-routes.js";
import { plainFormBodyLength } from "../token/plain-form-body.js";
import { createJwksHandler, createMetadataRoutes, jwksPath, wellKnownMetadataPath, type MetadataRoutesOptions } from "../http/authorization-server-metadata.js";
import { createIntrospectionEndpoint } from "../revocation/introspection-endpoint.js";
import type { IssuedTokenVerifier } from "../revocation/issued-token-verifier.js";
import type { PublishedRevocationListSource } from "../revocation/published-revocation-list.js";
import { createRevocationEndpoint } from "../revocation/revocation-endpoint.js";
import { createRevocationListRoute } from "../revocation/revocation-list-route.js";
import type { RevocationRepository } from "../storage/auth-store.js";
import { endpointRouter } from "../token/client-authenticated-endpoint.js";
import { createTokenEndpointHandler, tokenEndpointPath, type TokenEndpointOptions } from "../token/token-endpoint.js";

/** What the embedded issuer's routes need. */
export interface EmbeddedRoutesDeps extends TokenEndpointOptions, MetadataRoutesOptions {
  /** Checks tokens presented for revocation or introspection. */
  readonly verifyToken: IssuedTokenVerifier;
  readonly revocations: RevocationRepository;
  /** The revocation list as published. */
  readonly revocationList: PublishedRevocationListSource;
}

/** The routes: mounted on the app, and the two served ahead of it. */
export interface EmbeddedRoutes {
  /** Mounts the endpoints, the revocation list, JWKS and metadata under /auth, and the RFC 8414 metadata location. */
  mount(app: Express): void;
  /** The JWKS (GET, HEAD) and the token endpoint (POST with a plain form body), by exact path. */
  readonly plainRoutes: ReadonlyMap<string, PlainRoute>;
}

export function createEmbeddedRoutes(deps: EmbeddedRoutesDeps): EmbeddedRoutes {
  // One handler each for both ways in: the token endpoint's DPoP replay cache, for one, is shared.
  const jwks = createJwksHandler(deps.jwks);
  const token = createTokenEndpointHandler(deps);
  return {
    mount: (app) => mountEmbeddedRoutes(app, deps, { jwks, token }),
    plainRoutes: new Map<string, PlainRoute>([
      [`${authBasePath}${jwksPath}`, { accepts: (req) => req.method === "GET" || req.method === "HEAD", handle: jwks }],
      [`${authBasePath}${tokenEndpointPath}`, { accepts: (req) => req.method === "POST" && plainFormBodyLength(req) !== undefined, handle: token }],
    ]),
  };
}

function mountEmbeddedRoutes(app: Express, deps: EmbeddedRoutesDeps, handlers: { jwks: RequestHandler; token: RequestHandler }): void {
  const metadata = createMetadataRoutes(deps);
  // First, so the most fetched public document skips the other routers (after the request log and spans, as before).
  app.get(`${authBasePath}${jwksPath}`, handlers.jwks);
  app.use(authBasePath, endpointRouter(tokenEndpointPath, handlers.token));
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
