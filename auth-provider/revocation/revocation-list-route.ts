/**
 * GET /oauth/revocations (path from common/revocation-list.ts): the revocation
 * list every service follows. Public like the JWKS (token and client ids only,
 * no secrets). Polled often, so it is cheap: `Cache-Control: no-cache` with a
 * weak ETag, and 304 without a body when If-None-Match names the current one;
 * the content comes from published-revocation-list.ts (one store read per
 * second per replica, last known content while the store is away). Only when
 * the store has never been read does a poll get 503 temporarily_unavailable.
 */
import express, { type Router } from "express";
import { revocationListPath } from "../../common/revocation-list.js";
import { storeUnavailable } from "../token/client-authenticated-endpoint.js";
import { sendOAuthError } from "../token/oauth-error.js";
import type { PublishedRevocationListSource } from "./published-revocation-list.js";

/** What the route needs. */
export interface RevocationListRouteOptions {
  readonly issuer: string;
  readonly list: PublishedRevocationListSource;
  /** Whether an error means the store is away for a while; default never. */
  readonly isStoreUnavailable?: (err: unknown) => boolean;
}

/** A router serving the list at {@link revocationListPath} (GET and HEAD; other methods get 405). */
export function createRevocationListRoute(options: RevocationListRouteOptions): Router {
  const router = express.Router();
  router.get(revocationListPath, async (req, res, next) => {
    let list;
    try {
      list = await options.list.current();
    } catch (err) {
      if (options.isStoreUnavailable?.(err) !== true) return next(err);
      return sendOAuthError(res, storeUnavailable(), options.issuer);
    }
    res.set("Cache-Control", "no-cache");
    res.set("ETag", list.etag);
    if (matchesIfNoneMatch(req.headers["if-none-match"], list.etag)) {
      res.status(304).end();
      return;
    }
    res.type("application/json").send(list.body);
  });
  router.all(revocationListPath, (_req, res) => {
    res.set("Allow", "GET, HEAD");
    res.status(405).json({ error: "method_not_allowed", error_description: "use GET" });
  });
  return router;
}

/** Whether an If-None-Match header names etag (weak comparison, RFC 9110 §13.1.2), or is "*". */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === opaque(etag));
}
