/**
 * POST /oauth/token (under the /auth base path): the client_credentials token
 * endpoint. Steps: the shared ones of client-authenticated-endpoint.ts (body,
 * throttles, client authentication by secret, assertion or certificate), with
 * the grant type checked before any credential → the DPoP proof, if any or
 * required (token-request-dpop.ts) → apply the client's grants → take one
 * token from the client's budget → sign, bound to the proof's key (cnf.jkt,
 * token_type DPoP) and/or to the client certificate it authenticated with
 * (cnf.x5t#S256) → answer.
 */
import type { RequestHandler, Response, Router } from "express";
import type { AccessTokenSigner } from "./access-token-signer.js";
import { checkGrantType, grantClientCredentials } from "./client-credentials-grant.js";
import { createClientAuthenticatedHandler, endpointRouter, type ClientAuthenticatedEndpointOptions } from "./client-authenticated-endpoint.js";
import { setNoStore } from "./oauth-error.js";
import { sendJson } from "../http/json-answer.js";
import { grantedAudience, recordAnswerDetails } from "./endpoint-answer.js";
import { takeFromTokenBudget } from "./token-budget.js";
import { createTokenRequestDpop, type TokenRequestDpopOptions } from "./token-request-dpop.js";
import type { TokenBudget } from "../storage/auth-store.js";

/** The token endpoint's path below the base path. */
export const tokenEndpointPath = "/oauth/token";

/** What the token endpoint needs. */
export interface TokenEndpointOptions extends ClientAuthenticatedEndpointOptions, Omit<TokenRequestDpopOptions, "replayGuard"> {
  readonly signer: AccessTokenSigner;
  /** Token lifetime for clients without their own. */
  readonly tokenTtlSeconds: number;
  /** Counts the tokens of clients with a maxTokensPerMinute, across replicas. */
  readonly tokenBudget: TokenBudget;
}

/** A router serving the token endpoint at {@link tokenEndpointPath}; other methods on that path get 405. */
export function createTokenEndpoint(options: TokenEndpointOptions): Router {
  return endpointRouter(tokenEndpointPath, createTokenEndpointHandler(options));
}

/** The token endpoint as one handler for requests to its path (see createClientAuthenticatedHandler). */
export function createTokenEndpointHandler(options: TokenEndpointOptions): RequestHandler {
  const dpop = createTokenRequestDpop(options);
  return createClientAuthenticatedHandler(tokenEndpointPath, options, {
    beforeAuthentication: checkGrantType,
    async handle({ req, res, params, client, certificateThumbprint }) {
      recordAnswerDetails(res, { audience: grantedAudience(client, params) });
      const jkt = await dpop(req, client);
      const grant = { ...grantClientCredentials(client, params, options.tokenTtlSeconds), confirmation: { jkt, "x5t#S256": certificateThumbprint } };
      recordAnswerDetails(res, { scopes: grant.scopes });
      await takeFromTokenBudget(options.tokenBudget, client);
      const token = await options.signer.sign(grant);
      recordAnswerDetails(res, { jti: token.tokenId, expires_in: token.expiresIn, token_type: jkt === undefined ? "bearer" : "DPoP" });
      sendTokenResponse(res, {
        access_token: token.accessToken,
        // RFC 9449 §5: DPoP for a DPoP-bound token; a certificate-bound token stays a bearer token (RFC 8705 §3).
        token_type: jkt === undefined ? "bearer" : "DPoP",
        expires_in: token.expiresIn,
        scope: grant.scopes.join(" "),
      });
    },
  });
}

/** 200 with the token response (RFC 6749 §5.1), never cached. */
function sendTokenResponse(res: Response, body: Record<string, unknown>): void {
  setNoStore(res);
  sendJson(res, 200, body);
}
