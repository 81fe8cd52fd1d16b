/**
 * A service's follower of the auth provider's revocation list
 * (interceptor/revocation-list-follower.ts), built from its settings, with
 * what operators see of it: log lines (failures at most every 30 s, then the
 * recovery) and the health entry `m2m.auth.v1.Revocations`, SERVING while the
 * list is fresh (or the provider publishes none), NOT_SERVING while stale.
 */
import type { Logger } from "../common/json-logger.js";
import { createRevocationListFollower, type RevocationFetchOutcome, type RevocationFollowEvent, type RevocationListFollower } from "../interceptor/revocation-list-follower.js";
import type { ServiceConfig } from "./service-config.js";

/** The health checking name of the revocation list. */
export const revocationsHealthName = "m2m.auth.v1.Revocations";

/** Creates the follower and starts it (fetch now, then poll); stop() it at shutdown. `onFetch` sees every fetch (metrics). */
export function followRevocations(config: ServiceConfig, logger: Logger, onFetch?: (outcome: RevocationFetchOutcome) => void): RevocationListFollower {
  const { revocationsUrl: url, revocationMaxStalenessSeconds: maxStaleness } = config.verifier;
  const follower = createRevocationListFollower({
    url,
    issuer: config.verifier.issuer,
    pollIntervalMs: config.verifier.revocationPollMs,
    ...(config.authCa === undefined ? {} : { ca: config.authCa }),
    ...(maxStaleness === undefined ? {} : { maxStalenessSeconds: maxStaleness }),
    onEvent: (event) => log(logger, event, url, maxStaleness),
    ...(onFetch === undefined ? {} : { onFetch }),
  });
  follower.start();
  return follower;
}

/** Whether the health entry is SERVING. */
export function revocationsServing(follower: RevocationListFollower): boolean {
  return follower.status().state !== "stale";
}

function log(logger: Logger, event: RevocationFollowEvent, url: string, maxStaleness: number | undefined): void {
  switch (event.kind) {
    case "updated":
      logger.info(event.recovered ? "fetched the revocation list again" : "fetched the revocation list", { revocations_url: url, tokens: event.tokens, clients: event.clients });
      return;
    case "recovered":
      logger.info("fetched the revocation list again (unchanged)", { revocations_url: url });
      return;
    case "unpublished":
      logger.warn("the auth provider publishes no revocation list (404): revoked tokens are not refused here before they expire; asking again every minute", { revocations_url: url });
      return;
    case "failing": {
      const fields = { revocations_url: url, error: event.error, last_success_at: event.lastSuccessAt?.toISOString() ?? null };
      const kept = event.lastSuccessAt === undefined ? "no list yet, calls are served without one" : "the last one fetched stays in use";
      if (event.refusing) logger.error(`cannot fetch the revocation list for more than ${maxStaleness} s: calls that need a token are refused (UNAVAILABLE) until it is fetched`, fields);
      else if (maxStaleness === undefined) logger.warn(`cannot fetch the revocation list; ${kept}`, fields);
      else logger.warn(`cannot fetch the revocation list; ${kept} until ${maxStaleness} s have passed without a fetch`, fields);
      return;
    }
  }
}
