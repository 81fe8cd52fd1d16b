/**
 * Follows the auth provider's revocation list (common/revocation-list.ts), so
 * that every service replica refuses a revoked token within seconds: fetched
 * at start, then polled every `pollIntervalMs` (2 s; with the provider's own
 * cache of at most 1 s a revocation reaches every replica within 5 s) with
 * If-None-Match, so an unchanged list costs a 304. A failed fetch keeps the
 * last good list.
 *
 * How old a list may get is a policy (`maxStalenessSeconds`):
 *  - unset: serve on with the last known list however old it gets;
 *  - N: once no fetch has succeeded for N seconds (counted from start when none
 *    ever did), the verdict for every token is "unavailable" (the service
 *    answers UNAVAILABLE) until a fetch succeeds again.
 * An issuer that publishes no list (404, as with the SuperTokens backend) has
 * nothing to follow: reported once, asked again every minute, and no call is
 * refused for it.
 */
import { parseRevocationList, type RevocationList } from "../common/revocation-list.js";
import { createProviderDocumentFetcher, ProviderDocumentFetchError } from "./fetch-provider-document.js";
import type { Principal } from "./principal.js";

export interface RevocationListFollowerOptions {
  /** The provider's revocation list URL. */
  url: string;
  /** When set, a list that names another issuer is refused (a URL that points at the wrong provider). */
  issuer?: string;
  /** PEM of the CA certificate(s) to trust for an https URL, besides Node's built-in roots; default none. */
  ca?: string;
  /** Time between the end of one fetch and the next; default 2000 ms (±10 % jitter, so replicas do not poll in step). */
  pollIntervalMs?: number;
  /** Time between fetches while the provider publishes no list (404); default 60000 ms. */
  unpublishedPollIntervalMs?: number;
  /** See above; default unset (serve on with the last known list). */
  maxStalenessSeconds?: number;
  /** Give up on one fetch after this long; default 5000 ms. */
  fetchTimeoutMs?: number;
  /** Refuse a list larger than this; default 8 MiB. */
  maxBytes?: number;
  /** While fetches fail, report at most this often (the first failure and the switch to refusing at once); default 30000 ms. */
  failureReportIntervalMs?: number;
  /** Told what logs should say; see RevocationFollowEvent. */
  onEvent?: (event: RevocationFollowEvent) => void;
  /** Told how every fetch ended, unlike onEvent never rate-limited (for metrics). */
  onFetch?: (outcome: RevocationFetchOutcome) => void;
  /** The clock; default Date.now. */
  now?: () => number;
}

/** What happened, for logs; failures are rate-limited by the follower. */
export type RevocationFollowEvent =
  /** A new list (200) was fetched; `recovered` when fetches had failed before. */
  | { kind: "updated"; tokens: number; clients: number; recovered: boolean }
  /** The list is unchanged (304), after fetches had failed. */
  | { kind: "recovered" }
  /** Fetches fail; the last good list stays in use (`lastSuccessAt` undefined: there is none) unless `refusing`. */
  | { kind: "failing"; error: string; lastSuccessAt: Date | undefined; refusing: boolean }
  /** The provider answers 404: it publishes no list, so revocations are not followed. Reported once. */
  | { kind: "unpublished" };

/** How one fetch ended: a new list (200), the same list (304), no list published (404), or a failure. */
export type RevocationFetchOutcome = "ok" | "not_modified" | "unpublished" | "error";

/** What the token verifier asks of the list, on every call: a clock read and two Map lookups, nothing allocated. */
export interface RevocationCheck {
  /**
   * "revoked" when the last good list revokes the token; otherwise "unavailable" while the stale policy refuses
   * (see above), else "accepted".
   */
  verdict(principal: Principal): RevocationVerdict;
  /** Why the verdict is "unavailable", for the refusal's message. */
  unavailableReason(): string;
}

export type RevocationVerdict = "accepted" | "revoked" | "unavailable";

export interface RevocationFollowStatus {
  /**
   * fresh: the last fetch succeeded; stale: it failed, or none has finished yet (the last good list, if any,
   * stays in use); unpublished: the last fetch found that the provider publishes no list.
   */
  state: "fresh" | "stale" | "unpublished";
  /** Stale past maxStalenessSeconds: every token's verdict is "unavailable". */
  refusing: boolean;
  lastSuccessAt: Date | undefined;
  /** What the last fetch failed with; undefined when it succeeded. */
  error: string | undefined;
  /** Entries of the list in use. */
  tokens: number;
  clients: number;
}

export interface RevocationListFollower extends RevocationCheck {
  /** Whether the last good list revokes the token (false while there is none). */
  isRevoked(principal: Principal): boolean;
  status(): RevocationFollowStatus;
  /** Fetches now and then polls until stop(); the timers do not keep the process alive. */
  start(): void;
  /** Fetches once now (one at a time: a call during a fetch shares it); never throws. */
  refresh(): Promise<void>;
  /** Stops polling; a fetch in flight ends on its own. */
  stop(): void;
}

const defaultMaxBytes = 8 * 1024 * 1024;

export function createRevocationListFollower(options: RevocationListFollowerOptions): RevocationListFollower {
  const now = options.now ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const unpublishedPollIntervalMs = options.unpublishedPollIntervalMs ?? 60_000;
  const maxStalenessMs = options.maxStalenessSeconds === undefined ? undefined : options.maxStalenessSeconds * 1000;
  const failureReportIntervalMs = options.failureReportIntervalMs ?? 30_000;
  const fetchList = createProviderDocumentFetcher({
    url: options.url,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    timeoutMs: options.fetchTimeoutMs ?? 5000,
    maxBytes: options.maxBytes ?? defaultMaxBytes,
  });
  const report = options.onEvent ?? (() => {});
  const reportFetch = options.onFetch ?? (() => {});

  let list: RevocationList | undefined;
  let etag: string | undefined;
  let startedAt = now();
  /** The last answer that told us the current state: a list (200 or 304), or that there is none (404). */
  let lastSuccessAt: number | undefined;
  let lastError: string | undefined = "not fetched yet";
  let unpublished = false;
  let failing = false;
  let lastFailureReportAt = Number.NEGATIVE_INFINITY;
  let reportedRefusing = false;
  let inflight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const refusing = () => maxStalenessMs !== undefined && !unpublished && now() - (lastSuccessAt ?? startedAt) > maxStalenessMs;

  function succeeded(): boolean {
    const recovered = failing;
    failing = false;
    reportedRefusing = false;
    lastSuccessAt = now();
    lastError = undefined;
    return recovered;
  }

  async function fetchOnce(): Promise<void> {
    try {
      const fetched = await fetchList(etag);
      if (fetched.status === "not_modified") {
        reportFetch("not_modified");
        if (succeeded()) report({ kind: "recovered" });
      } else {
        const next = parseRevocationList(fetched.body);
        const named = (fetched.body as { issuer?: unknown }).issuer;
        if (options.issuer !== undefined && named !== options.issuer) {
          throw new ProviderDocumentFetchError(`the list is of the issuer ${JSON.stringify(named ?? null)}, not of ${options.issuer}`);
        }
        list = next;
        etag = fetched.etag;
        unpublished = false;
        const recovered = succeeded();
        reportFetch("ok");
        report({ kind: "updated", tokens: next.tokens.size, clients: next.clients.size, recovered });
      }
    } catch (err) {
      if (err instanceof ProviderDocumentFetchError && err.httpStatus === 404) {
        const first = !unpublished;
        unpublished = true;
        etag = undefined;
        succeeded();
        reportFetch("unpublished");
        if (first) report({ kind: "unpublished" });
        return;
      }
      lastError = err instanceof Error ? err.message : String(err);
      reportFetch("error");
      const refusingNow = refusing();
      const at = now();
      if (!failing || at - lastFailureReportAt >= failureReportIntervalMs || (refusingNow && !reportedRefusing)) {
        lastFailureReportAt = at;
        reportedRefusing = refusingNow;
        report({ kind: "failing", error: lastError, lastSuccessAt: lastSuccessAt === undefined ? undefined : new Date(lastSuccessAt), refusing: refusingNow });
      }
      failing = true;
    }
  }

  function refresh(): Promise<void> {
    inflight ??= fetchOnce().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  function pollLater(): void {
    if (!running) return;
    const interval = unpublished ? unpublishedPollIntervalMs : pollIntervalMs;
    clearTimeout(timer); // one poll chain, even after stop() and start() during a fetch
    timer = setTimeout(() => void refresh().then(pollLater), interval * (0.9 + Math.random() * 0.2));
    timer.unref();
  }

  const isRevoked = (principal: Principal): boolean => {
    // isRevokedBy's rule, read off the principal as it is: no object is built on the path every call takes.
    if (list === undefined) return false;
    if (principal.tokenId !== "" && list.tokens.has(principal.tokenId)) return true;
    const before = list.clients.get(principal.clientId);
    return before !== undefined && (principal.issuedAt === undefined || principal.issuedAt.getTime() < before * 1000);
  };

  return {
    isRevoked,
    verdict: (principal) => (isRevoked(principal) ? "revoked" : refusing() ? "unavailable" : "accepted"),
    unavailableReason() {
      const since = lastSuccessAt === undefined ? "has not been fetched since the service started" : `was last fetched ${Math.round((now() - lastSuccessAt) / 1000)} s ago`;
      return `the auth provider's revocation list ${since} (the limit is ${maxStalenessMs! / 1000} s)${lastError === undefined ? "" : `: ${lastError}`}`;
    },
    status: () => ({
      state: lastError !== undefined ? "stale" : unpublished ? "unpublished" : "fresh",
      refusing: refusing(),
      lastSuccessAt: lastSuccessAt === undefined ? undefined : new Date(lastSuccessAt),
      error: lastError,
      tokens: list?.tokens.size ?? 0,
      clients: list?.clients.size ?? 0,
    }),
    refresh,
    start() {
      if (running) return;
      running = true;
      startedAt = now();
      void refresh().then(pollLater);
    },
    stop() {
      running = false;
      clearTimeout(timer);
    },
  };
}
