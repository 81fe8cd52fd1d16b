/**
 * The part the token, revocation and introspection endpoints share: a POST
 * route that reads a form or JSON body, authenticates the calling client with
 * any supported method (tls_client_auth too when client certificates are
 * requested), and answers every refusal as an RFC 6749 §5.2 JSON
 * error (nothing here answers with HTML). Steps: refuse a throttled address →
 * parse the body → the endpoint's own checks that need no client → read the
 * credentials → refuse a throttled client id → authenticate → the endpoint's
 * handler with the client.
 *
 * Throttling (see failed-auth-limiter.ts) answers 429 `slow_down` with
 * Retry-After, without checking the credentials: checking them would tell a
 * guesser when a guess was right. So while a client id is throttled for an
 * address, its right secret (or a good assertion) is refused there too, until
 * Retry-After has passed. A successful authentication is reported to the
 * limiter, which then exempts that client and address from the per-client
 * ceiling.
 *
 * When the store cannot answer because its database is away, the answer is 503
 * `temporarily_unavailable` with Retry-After, never a 500: callers retry.
 *
 * The endpoint is one request handler (method check, the steps, the error
 * answers), so it can be mounted as a router or called directly for its
 * exact path, ahead of express (see http/plain-routes.ts).
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { presentedCertificate } from "../clients/client-certificate.js";
import { authenticateClient, readPresentedCredentials, tlsClientAuthMethod, type ClientAuthenticationDeps } from "../clients/client-authentication.js";
import type { ClientRecord } from "../clients/client-record.js";
import type { AuthAttempt, Throttle, ThrottleScope } from "../clients/failed-auth-limiter.js";
import type { SharedFailedAuthLimiter } from "../storage/auth-store.js";
import { observeAnswers, type EndpointObserver } from "./endpoint-answer.js";
import { OAuthError, sendOAuthError } from "./oauth-error.js";
import { plainFormBodyLength, readPlainFormBody } from "./plain-form-body.js";
import {
  bodyParserErrorToOAuthError,
  readTokenRequestParams,
  tokenRequestBodyLimit,
  tokenRequestMediaTypes,
  type TokenRequestMediaType,
  type TokenRequestParams,
} from "./token-request-body.js";

/** What every client-authenticated endpoint needs. */
export interface ClientAuthenticatedEndpointOptions extends ClientAuthenticationDeps {
  /** Counts failed client authentications and says when to refuse. */
  readonly failedAuthLimiter: SharedFailedAuthLimiter;
  /** Whether an error means the store is away for a while (answered 503 temporarily_unavailable); default never. */
  readonly isStoreUnavailable?: (err: unknown) => boolean;
  /** Called when an attempt reaches a limit (for a warning in the log). */
  readonly onThrottle?: (throttle: Throttle, attempt: AuthAttempt) => void;
  /** Whether the server requests client certificates (AUTH_CLIENT_CA_FILE) and offers tls_client_auth; default false. */
  readonly tlsClientAuth?: boolean;
  /** Told of every POST answer, for metrics and the audit trail; default none. */
  readonly observer?: EndpointObserver;
}

/** A request whose client is authenticated. */
export interface AuthenticatedRequest {
  readonly req: Request;
  readonly res: Response;
  readonly params: TokenRequestParams;
  readonly client: ClientRecord;
  /**
   * When the client authenticated with its certificate (tls_client_auth): the certificate's x5t#S256, to bind the
   * token to (RFC 8705 §3). undefined for every other method, even when a trusted certificate was presented.
   */
  readonly certificateThumbprint: string | undefined;
}

/** What an endpoint adds to the shared steps. */
export interface ClientAuthenticatedHandler {
  /** Checks of the parameters that need no client (they answer before any secret is checked); throw OAuthError. */
  readonly beforeAuthentication?: (params: TokenRequestParams) => void;
  /** Answers for the authenticated client; throw OAuthError to refuse. */
  readonly handle: (request: AuthenticatedRequest) => Promise<void>;
}

/**
 * A router serving `path` (below the base path) with POST; other methods get 405. Sets res.locals.clientId once the
 * client is authenticated, for the request log, and reports each POST answer to options.observer.
 */
export function createClientAuthenticatedEndpoint(
  path: string,
  options: ClientAuthenticatedEndpointOptions,
  handler: ClientAuthenticatedHandler,
): Router {
  return endpointRouter(path, createClientAuthenticatedHandler(path, options, handler));
}

/** A router that hands requests for `path` (any method) to the endpoint's handler. */
export function endpointRouter(path: string, endpoint: RequestHandler): Router {
  const router = express.Router();
  router.all(path, endpoint);
  return router;
}

/**
 * The endpoint as one handler for requests to its path: POST runs the steps, any other method gets 405; a refusal
 * is answered as an RFC 6749 error, any other failure goes to next(err) (the app's error handler).
 */
export function createClientAuthenticatedHandler(
  path: string,
  options: ClientAuthenticatedEndpointOptions,
  handler: ClientAuthenticatedHandler,
): RequestHandler {
  const json = express.json({ type: "application/json", limit: tokenRequestBodyLimit, inflate: false, strict: false });
  const text = express.text({ type: "application/x-www-form-urlencoded", limit: tokenRequestBodyLimit, inflate: false });
  const observe = observeAnswers(path, options.observer);
  // The body as a string (a plain form, plain-form-body.ts) or what the express parsers made of it.
  const readBody = (req: Request, res: Response, next: (err?: unknown, form?: string) => void): void => {
    const length = plainFormBodyLength(req);
    if (length !== undefined) return readPlainFormBody(req, length, (err, form) => next(err, form));
    json(req, res, (err?: unknown) => (err === undefined ? text(req, res, (err2?: unknown) => next(err2)) : next(err)));
  };
  const authenticated = async (req: Request, res: Response, form: string | undefined): Promise<void> => {
    const { body, mediaType } = form === undefined ? bodyOf(req) : { body: form, mediaType: "application/x-www-form-urlencoded" as const };
    const params = readTokenRequestParams(body, mediaType);
    handler.beforeAuthentication?.(params);
    const address = req.socket.remoteAddress;
    const connection = { tlsClientAuth: options.tlsClientAuth === true, certificate: options.tlsClientAuth === true ? presentedCertificate(req.socket) : undefined };
    const credentials = await countingFailure(options, { address }, async () => readPresentedCredentials(req.headers.authorization, params, connection));
    const attempt = { address, clientId: credentials.clientId };
    res.locals["claimedClientId"] = credentials.clientId;
    await refuseIfThrottled(options.failedAuthLimiter, attempt);
    const client = await countingFailure(options, attempt, () => authenticateClient(options, credentials));
    await options.failedAuthLimiter.recordSuccess({ address, clientId: client.clientId });
    res.locals["clientId"] = client.clientId;
    const certificateThumbprint = credentials.method === tlsClientAuthMethod ? credentials.certificate.thumbprint : undefined;
    await handler.handle({ req, res, params, client, certificateThumbprint });
  };
  const onError = (err: unknown, res: Response, next: NextFunction): void => {
    const oauthError =
      err instanceof OAuthError ? err : options.isStoreUnavailable?.(err) === true ? storeUnavailable() : bodyParserErrorToOAuthError(err);
    if (oauthError === undefined || res.headersSent) return next(err);
    sendOAuthError(res, oauthError, options.issuer);
  };
  return (req, res, next) => {
    if (req.method !== "POST") {
      res.set("Allow", "POST");
      res.status(405).json({ error: "method_not_allowed", error_description: "use POST" });
      return;
    }
    const fail = (err: unknown) => onError(err ?? new Error("Rejected promise"), res, next);
    observe(req, res, () => {
      // A throttled address is refused before its body is read.
      refuseIfThrottled(options.failedAuthLimiter, { address: req.socket.remoteAddress }).then(
        () =>
          readBody(req, res, (err, form) => {
            if (err !== undefined) return fail(err);
            authenticated(req, res, form).catch(fail);
          }),
        fail,
      );
    });
  };
}

// Runs step; when it fails with invalid_client, counts a failed authentication for attempt.
async function countingFailure<T>(options: ClientAuthenticatedEndpointOptions, attempt: AuthAttempt, step: () => Promise<T>): Promise<T> {
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

/** The answer while the store's database cannot be reached: 503 temporarily_unavailable with Retry-After. */
export function storeUnavailable(): OAuthError {
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
    { retryAfterSeconds: throttle.retryAfterSeconds, throttledBy: throttle.scope },
  );
}

// The parsed body and the media type it came with (which parser read it), once the type is one the endpoint accepts.
// req.is() answers null for a request without a body, which readTokenRequestParams refuses.
function bodyOf(req: Request): { body: unknown; mediaType: TokenRequestMediaType | undefined } {
  const matched = req.is([...tokenRequestMediaTypes]);
  const mediaType = tokenRequestMediaTypes.find((type) => type === matched);
  if (matched === false) {
    throw new OAuthError("invalid_request", `the content type must be ${tokenRequestMediaTypes.join(" or ")}`);
  }
  return { body: req.body as unknown, mediaType };
}
