/**
 * POST /oauth/token (under the /auth base path): the client_credentials token
 * endpoint. Steps: parse the body → check the grant type → authenticate the
 * client → apply the client's permissions → sign → answer. Every refusal is an
 * RFC 6749 §5.2 JSON error; nothing here answers with HTML.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Router } from "express";
import type { AccessTokenSigner } from "./access-token-signer.js";
import { authenticateClient, readPresentedCredentials } from "./client-authentication.js";
import { checkGrantType, grantClientCredentials } from "./client-credentials-grant.js";
import type { ClientStore } from "./client-store.js";
import { OAuthError, sendOAuthError, setNoStore } from "./oauth-error.js";
import {
  bodyParserErrorToOAuthError,
  readTokenRequestParams,
  tokenRequestBodyLimit,
  tokenRequestMediaTypes,
} from "./token-request-body.js";

/** The token endpoint's path below the base path. */
export const tokenEndpointPath = "/oauth/token";

/** What the token endpoint needs. */
export interface TokenEndpointOptions {
  readonly issuer: string;
  readonly clientStore: ClientStore;
  readonly signer: AccessTokenSigner;
  /** Token lifetime for clients without their own. */
  readonly tokenTtlSeconds: number;
}

/**
 * A router serving the token endpoint at {@link tokenEndpointPath}; other methods on that path get 405. Sets
 * res.locals.clientId once the client is authenticated, for the request log.
 */
export function createTokenEndpoint(options: TokenEndpointOptions): Router {
  const router = express.Router();
  const parsers = [
    express.json({ type: "application/json", limit: tokenRequestBodyLimit, inflate: false, strict: false }),
    express.text({ type: "application/x-www-form-urlencoded", limit: tokenRequestBodyLimit, inflate: false }),
  ];
  router.post(tokenEndpointPath, ...parsers, tokenHandler(options));
  router.all(tokenEndpointPath, (_req, res) => {
    res.set("Allow", "POST");
    res.status(405).json({ error: "method_not_allowed", error_description: "use POST" });
  });
  const onError: ErrorRequestHandler = (err, _req, res, next) => {
    const oauthError = err instanceof OAuthError ? err : bodyParserErrorToOAuthError(err);
    if (oauthError === undefined || res.headersSent) return next(err);
    sendOAuthError(res, oauthError, options.issuer);
  };
  router.use(tokenEndpointPath, onError);
  return router;
}

function tokenHandler(options: TokenEndpointOptions): RequestHandler {
  return async (req, res) => {
    const params = readTokenRequestParams(bodyOf(req));
    checkGrantType(params);
    const credentials = readPresentedCredentials(req.headers.authorization, params);
    const client = authenticateClient(options.clientStore, credentials);
    res.locals["clientId"] = client.clientId;
    const grant = grantClientCredentials(client, params, options.tokenTtlSeconds);
    const token = await options.signer.sign(grant);
    setNoStore(res);
    res.status(200).json({
      access_token: token.accessToken,
      token_type: "bearer",
      expires_in: token.expiresIn,
      scope: grant.scopes.join(" "),
    });
  };
}

// The parsed body, after making sure it came with a content type the endpoint accepts.
function bodyOf(req: Request): unknown {
  const type = req.is([...tokenRequestMediaTypes]);
  if (type === false) {
    throw new OAuthError(
      "invalid_request",
      `the content type must be ${tokenRequestMediaTypes.join(" or ")}`,
    );
  }
  return req.body as unknown;
}
