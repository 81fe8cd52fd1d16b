/**
 * POST /oauth/revoke (RFC 7009): a client takes back one of its own access
 * tokens. The token's id goes into the revocations shared by every replica
 * (until the token would have expired anyway) and so into the published
 * revocation list the services follow. Client authentication, bodies and
 * throttling are the token endpoint's (client-authenticated-endpoint.ts).
 *
 * Answers: 200 with an empty body when the token is revoked, and also for a
 * token that is invalid, expired or unknown (RFC 7009 §2.2: nothing to do, and
 * the caller learns nothing); 400 unauthorized_client for a valid token of
 * another client (§2.1: a client may revoke only its own tokens).
 */
import type { Router } from "express";
import type { RevocationRepository } from "../storage/auth-store.js";
import { createClientAuthenticatedEndpoint, type ClientAuthenticatedEndpointOptions } from "../token/client-authenticated-endpoint.js";
import { recordAnswerDetails } from "../token/endpoint-answer.js";
import { OAuthError, setNoStore } from "../token/oauth-error.js";
import type { IssuedTokenVerifier } from "./issued-token-verifier.js";
import { requireTokenParameter } from "./token-parameter.js";

/** The revocation endpoint's path below the base path. */
export const revocationEndpointPath = "/oauth/revoke";

/** What the revocation endpoint needs. */
export interface RevocationEndpointOptions extends ClientAuthenticatedEndpointOptions {
  readonly verifyToken: IssuedTokenVerifier;
  readonly revocations: Pick<RevocationRepository, "revokeToken">;
}

/** A router serving {@link revocationEndpointPath}; other methods get 405. */
export function createRevocationEndpoint(options: RevocationEndpointOptions): Router {
  return createClientAuthenticatedEndpoint(revocationEndpointPath, options, {
    beforeAuthentication: requireTokenParameter,
    async handle({ res, params, client }) {
      const token = await options.verifyToken(params.token!);
      if (token !== undefined) {
        if (token.clientId !== client.clientId) {
          throw new OAuthError("unauthorized_client", "the token was not issued to this client; a client may revoke only its own tokens");
        }
        await options.revocations.revokeToken({ tokenId: token.tokenId, clientId: token.clientId, expiresAt: token.expiresAt });
        recordAnswerDetails(res, { jti: token.tokenId, exp: token.expiresAt });
      }
      setNoStore(res);
      res.status(200).end();
    },
  });
}
