/**
 * What a client-authenticated endpoint (token, revocation, introspection)
 * answered, reported once per request when its response is sent, for metrics
 * and the audit trail. Built from what the steps recorded in res.locals: the
 * authenticated client (clientId), the client id the caller claimed
 * (claimedClientId), the OAuth error code and throttle (oauth-error.ts), and
 * the endpoint's own details (e.g. the token's audience and jti). Never a
 * credential: nothing here reads headers or the body.
 */
import type { RequestHandler, Response } from "express";
import type { ClientRecord } from "../clients/client-record.js";
import { scopesGrantedFor } from "../clients/grants.js";
import type { ThrottleLimit } from "./oauth-error.js";
import type { TokenRequestParams } from "./token-request-body.js";

/** One answered request. */
export interface EndpointAnswer {
  /** The endpoint's path below the base path, e.g. /oauth/token. */
  readonly path: string;
  /** "ok" for a 2xx answer, else the OAuth error code (server_error for a fault with none). */
  readonly outcome: string;
  /** The client that authenticated; undefined when authentication failed or was not reached. */
  readonly clientId: string | undefined;
  /** The client id the caller presented (not verified; caller-chosen): for the audit trail only. */
  readonly claimedClientId: string | undefined;
  readonly address: string | undefined;
  readonly durationSeconds: number;
  /** For slow_down: which limit was reached. */
  readonly throttledBy: ThrottleLimit | undefined;
  /** What the endpoint recorded with {@link recordAnswerDetails}. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Receives every answer of the endpoints it is given to. */
export interface EndpointObserver {
  answered(answer: EndpointAnswer): void;
}

/** Adds details (no credential!) to the answer the observer will get. */
export function recordAnswerDetails(res: Response, details: Record<string, unknown>): void {
  res.locals["answerDetails"] = { ...(res.locals["answerDetails"] as Record<string, unknown> | undefined), ...details };
}

/** Middleware that reports the request's answer to observer once the response is sent (not when the caller leaves). */
export function observeAnswers(path: string, observer: EndpointObserver | undefined): RequestHandler {
  return (req, res, next) => {
    if (observer === undefined) return next();
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const text = (key: string) => (typeof res.locals[key] === "string" ? (res.locals[key] as string) : undefined);
      observer.answered({
        path,
        outcome: res.statusCode < 300 ? "ok" : (text("oauthError") ?? (res.statusCode >= 500 ? "server_error" : "invalid_request")),
        clientId: text("clientId"),
        claimedClientId: text("claimedClientId"),
        address: req.socket.remoteAddress,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
        throttledBy: text("throttledBy") as ThrottleLimit | undefined,
        details: (res.locals["answerDetails"] as Record<string, unknown> | undefined) ?? {},
      });
    });
    next();
  };
}

/** The one audience a token request names, when it is granted to client; else undefined (never a caller's string). */
export function grantedAudience(client: ClientRecord, params: Pick<TokenRequestParams, "audiences">): string | undefined {
  const [audience, ...more] = params.audiences;
  return audience !== undefined && more.length === 0 && scopesGrantedFor(client, audience) !== undefined ? audience : undefined;
}
