/**
 * POST /oauth/token (under the /auth base path): the client_credentials token
 * endpoint. Steps: the shared ones of client-authenticated-endpoint.ts (body,
 * throttles, client authentication by secret or assertion), with the grant
 * type checked before any credential → apply the client's grants → take one
 * token from the client's budget → sign → answer.
 */
import type { Router } from "express";
import type { AccessTokenSigner } from "./access-token-signer.js";
import { checkGrantType, grantClientCredentials } from "./client-credentials-grant.js";
import { createClientAuthenticatedEndpoint, type ClientAuthenticatedEndpointOptions } from "./client-authenticated-endpoint.js";
import { setNoStore } from "./oauth-error.js";
import { takeFromTokenBudget } from "./token-budget.js";
import type { TokenBudget } from "../storage/auth-store.js";

/** The token endpoint's path below the base path. */
export const tokenEndpointPath = "/oauth/token";

/** What the token endpoint needs. */
export interface TokenEndpointOptions extends ClientAuthenticatedEndpointOptions {
  readonly signer: AccessTokenSigner;
  /** Token lifetime for clients without their own. */
  readonly tokenTtlSeconds: number;
  /** Counts the tokens of clients with a maxTokensPerMinute, across replicas. */
  readonly tokenBudget: TokenBudget;
}

/** A router serving the token endpoint at {@link tokenEndpointPath}; other methods on that path get 405. */
export function createTokenEndpoint(options: TokenEndpointOptions): Router {
  return createClientAuthenticatedEndpoint(tokenEndpointPath, options, {
    beforeAuthentication: checkGrantType,
    async handle({ res, params, client }) {
      const grant = grantClientCredentials(client, params, options.tokenTtlSeconds);
      await takeFromTokenBudget(options.tokenBudget, client);
      const token = await options.signer.sign(grant);
      setNoStore(res);
      res.status(200).json({
        access_token: token.accessToken,
        token_type: "bearer",
        expires_in: token.expiresIn,
        scope: grant.scopes.join(" "),
      });
    },
  });
}
