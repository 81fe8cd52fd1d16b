/**
 * POST /oauth/token (under the /auth base path): the client_credentials token
 * endpoint. Steps: refuse a throttled address → parse the body → check the
 * grant type → read the credentials → refuse a throttled client id →
 * authenticate the client → apply the client's permissions → sign → answer.
 * Every refusal is an RFC 6749 §5.2 JSON error; nothing here answers with HTML.
 *
 * Throttling (see failed-auth-limiter.ts) answers 429 `slow_down` with
 * Retry-After, without checking the secret: checking it would tell a guesser
 * when a guess was right. So while a client id is throttled for an address,
 * its right secret is refused there too, until Retry-After has passed. A
 * successful authentication is reported to the limiter, which then exempts
 * that client and address from the per-client ceiling.
 *
 * When the store cannot answer because its database is away, the answer is 503
 * `temporarily_unavailable` with Retry-After, never a 500: callers retry.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Router } from "express";
import type { AccessTokenSigner } from "./access-token-signer.js";
import { authenticateClient, readPresentedCredentials } from "../clients/client-authentication.js";
import { checkGrantType, grantClientCredentials } from "./client-credentials-grant.js";
import type { ClientAuthenticator } from "../clients/client-authentication.js";
import type { AuthAttempt, Throttle, ThrottleScope } from "../clients/failed-auth-limiter.js";
import type { SharedFailedAuthLimiter } from "../storage/auth-store.js";
import { OAuthError, sendOAuthError, setNoStore } from "./oauth-error.js";
import {
  bodyParserErrorToOAuthError,
  readTokenRequestParams,
  tokenRequestBodyLimit,
  tokenRequestMediaTypes,
  type TokenRequestMediaType,
} from "./token-request-body.js";

/** The token endpoint's path below the base path. */
export const tokenEndpointPath = "/oauth/token";

/** What the token endpoint needs. */
export interface TokenEndpointOptions {
  readonly issuer: string;
  /** The SQLite store or the PostgreSQL one: asked once per request. */
  readonly clientStore: ClientAuthenticator;
  readonly signer: AccessTokenSigner;
  /** Token lifetime for clients without their own. */
  readonly tokenTtlSeconds: number;
  /** Counts failed client authentications and says when to refuse. */
  readonly failedAuthLimiter: SharedFailedAuthLimiter;
  /** Whether an error means the store is away for a while (answered 503 temporarily_unavailable); default never. */
  readonly isStoreUnavailable?: (err: unknown) => boolean;
  /** Called when an attempt reaches a limit (for a warning in the log). */
  readonly onThrottle?: (throttle: Throttle, attempt: AuthAttempt) => void;
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
  // A throttled address is refused before its body is read.
  const refuseThrottledAddress: RequestHandler = async (req, _res, next) => {
    await refuseIfThrottled(options.failedAuthLimiter, { address: req.socket.remoteAddress });
    next();
  };
  router.post(tokenEndpointPath, refuseThrottledAddress, ...parsers, tokenHandler(options));
  router.all(tokenEndpointPath, (_req, res) => {
    res.set("Allow", "POST");
    res.status(405).json({ error: "method_not_allowed", error_description: "use POST" });
  });
  const onError: ErrorRequestHandler = (err, _req, res, next) => {
    const oauthError = err instanceof OAuthError ? err : options.isStoreUnavailable?.(err) === true ? storeUnavailable() : bodyParserErrorToOAuthError(err);
    if (oauthError === undefined || res.headersSent) return next(err);
    sendOAuthError(res, oauthError, options.issuer);
  };
  router.use(tokenEndpointPath, onError);
  return router;
}

function tokenHandler(options: TokenEndpointOptions): RequestHandler {
  return async (req, res) => {
    const { body, mediaType } = bodyOf(req);
    const params = readTokenRequestParams(body, mediaType);
    checkGrantType(params);
    const address = req.socket.remoteAddress;
    const credentials = await countingFailure(options, { address }, async () => readPresentedCredentials(req.headers.authorization, params));
    const attempt = { address, clientId: credentials.clientId };
    await refuseIfThrottled(options.failedAuthLimiter, attempt);
    const client = await countingFailure(options, attempt, () => authenticateClient(options.clientStore, credentials));
    await options.failedAuthLimiter.recordSuccess({ address, clientId: client.clientId });
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

// Runs step; when it fails with invalid_client, counts a failed authentication for attempt.
async function countingFailure<T>(options: TokenEndpointOptions, attempt: AuthAttempt, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof OAuthError && err.code === "invalid_client") {
      const throttle = await options.failedAuthLimiter.recordFailure(attempt);
      if (throttle !== undefined) options.onThrottle?.(throttle, attempt);
    }
    throw err;
  }
}

const throttledWho: Record<ThrottleScope, string> = {
  "client-address": "for this client from this address",
  address: "from this address",
  client: "for this client",
};

// Seconds a caller is asked to wait while the database is away: about how long a restart or failover takes.
const storeRetryAfterSeconds = 2;

function storeUnavailable(): OAuthError {
  return new OAuthError("temporarily_unavailable", "the authorization server cannot reach its database; retry shortly", {
    retryAfterSeconds: storeRetryAfterSeconds,
  });
}

async function refuseIfThrottled(limiter: SharedFailedAuthLimiter, attempt: AuthAttempt): Promise<void> {
  const throttle = await limiter.check(attempt);
  if (throttle === undefined) return;
  throw new OAuthError(
    "slow_down",
    `too many failed client authentications ${throttledWho[throttle.scope]}; retry after ${throttle.retryAfterSeconds} seconds`,
    { retryAfterSeconds: throttle.retryAfterSeconds },
  );
}

// The parsed body and the media type it came with (which parser read it), once the type is one the endpoint accepts.
// req.is() answers null for a request without a body, which readTokenRequestParams refuses.
function bodyOf(req: Request): { body: unknown; mediaType: TokenRequestMediaType | undefined } {
  const matched = req.is([...tokenRequestMediaTypes]);
  const mediaType = tokenRequestMediaTypes.find((type) => type === matched);
  if (matched === false) {
    throw new OAuthError(
      "invalid_request",
      `the content type must be ${tokenRequestMediaTypes.join(" or ")}`,
    );
  }
  return { body: req.body as unknown, mediaType };
}
