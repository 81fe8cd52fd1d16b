/**
 * POST /oauth/introspect (RFC 7662): a client asks whether one of its own
 * access tokens is active, and what it says. Active means signed by this
 * issuer with a key it publishes, not expired, not revoked (by id, or because
 * its client was disabled or removed after it was issued), and issued to the
 * asking client. Anything else, another client's token included, is
 * {"active": false} and nothing more (§2.2), so a client learns nothing about
 * tokens that are not its own. A sender-constrained token's answer carries
 * its cnf and, when DPoP-bound, token_type "DPoP" (RFC 9449 §6.2, RFC 8705
 * §3.2). Client authentication, bodies and throttling are the token
 * endpoint's (client-authenticated-endpoint.ts).
 */
import type { Router } from "express";
import type { RevocationRepository } from "../storage/auth-store.js";
import { createClientAuthenticatedEndpoint, type ClientAuthenticatedEndpointOptions } from "../token/client-authenticated-endpoint.js";
import { recordAnswerDetails } from "../token/endpoint-answer.js";
import { setNoStore } from "../token/oauth-error.js";
import type { IssuedToken, IssuedTokenVerifier } from "./issued-token-verifier.js";
import { requireTokenParameter } from "./token-parameter.js";

/** The introspection endpoint's path below the base path. */
export const introspectionEndpointPath = "/oauth/introspect";

/** What the introspection endpoint needs. */
export interface IntrospectionEndpointOptions extends ClientAuthenticatedEndpointOptions {
  readonly verifyToken: IssuedTokenVerifier;
  readonly revocations: Pick<RevocationRepository, "isRevoked">;
}

/** A router serving {@link introspectionEndpointPath}; other methods get 405. */
export function createIntrospectionEndpoint(options: IntrospectionEndpointOptions): Router {
  return createClientAuthenticatedEndpoint(introspectionEndpointPath, options, {
    beforeAuthentication: requireTokenParameter,
    async handle({ res, params, client }) {
      const token = await options.verifyToken(params.token!);
      const active =
        token !== undefined &&
        token.clientId === client.clientId &&
        !(await options.revocations.isRevoked({ tokenId: token.tokenId, clientId: token.clientId, issuedAt: token.issuedAt }));
      recordAnswerDetails(res, { active });
      setNoStore(res);
      res.status(200).json(active ? introspectionOf(token) : { active: false });
    },
  });
}

/** The RFC 7662 §2.2 answer for an active token. */
export function introspectionOf(token: IssuedToken): Record<string, unknown> {
  return {
    active: true,
    scope: token.scopes.join(" "),
    client_id: token.clientId,
    sub: token.subject,
    aud: token.audiences,
    iss: token.issuer,
    exp: token.expiresAt,
    iat: token.issuedAt,
    ...(token.notBefore === undefined ? {} : { nbf: token.notBefore }),
    jti: token.tokenId,
    ...(token.confirmation === undefined ? {} : { cnf: token.confirmation }),
    token_type: token.confirmation?.jkt === undefined ? "Bearer" : "DPoP",
  };
}
