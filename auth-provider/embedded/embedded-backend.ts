/**
 * The embedded issuer: keys and client records in its store (SQLite and files
 * under DATA_DIR, or PostgreSQL shared by replicas when DATABASE_URL is set),
 * the assistant registered on first start, tokens signed in this process.
 * Changes made by `auth-admin` (or another replica) while it runs take effect
 * without a restart: clients are read from the store per request, and the
 * keys are checked for changes every second.
 *
 * On PostgreSQL, /healthz answers 503 with the reason while the database
 * cannot be reached (the key check finds out within a second), token requests
 * get 503 temporarily_unavailable, and the JWKS and the revocation list keep
 * being served from memory.
 */
import type { Logger } from "../../common/json-logger.js";
import { createAccessTokenSigner } from "../token/access-token-signer.js";
import type { AuthBackend } from "../auth-backend.js";
import { bootstrapAssistantClient } from "../clients/bootstrap-assistant-client.js";
import type { AuthProviderConfig } from "../config.js";
import { createEmbeddedRoutes, type EmbeddedRoutesDeps } from "./embedded-routes.js";
import { importKeyRing, signingKeyAt } from "../keys/key-ring.js";
import { startLiveIssuerKeys } from "../keys/live-keys.js";
import { openAuthStore } from "../storage/open-auth-store.js";
import { traceAuthStore } from "../storage/auth-store-spans.js";
import { createIssuedTokenVerifier } from "../revocation/issued-token-verifier.js";
import { createPublishedRevocationList } from "../revocation/published-revocation-list.js";
import { tokenEndpointPath } from "../token/token-endpoint.js";
import { auditEvent, providerActor } from "../audit/audit-events.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { AuthMetrics } from "../http/auth-metrics.js";
import { createEndpointObserver } from "../http/endpoint-observer.js";
import type { IssuerKeyEvent } from "../keys/live-keys.js";

/** Where the embedded issuer reports what it does: Prometheus metrics and the audit trail; each optional. */
export interface EmbeddedObservability {
  readonly metrics?: AuthMetrics | undefined;
  readonly audit?: AuditLog | undefined;
}

/**
 * Opens the store (creating the keys on first start), registers the assistant on first start, and starts watching
 * the keys. Throws (closing what it opened) when the keys are invalid or the store cannot be opened.
 */
export async function startEmbeddedBackend(config: AuthProviderConfig, issuer: string, logger: Logger, observability: EmbeddedObservability = {}): Promise<AuthBackend> {
  const { metrics, audit } = observability;
  const { catalog } = config;
  // With tracing on, storage calls on the token path are spans.
  const store = traceAuthStore(
    await openAuthStore(
      { dataDir: config.dataDir, database: config.database, kek: config.keyEncryptionKey },
      { create: true, logger, applicationName: "m2m-grpc auth-provider", catalog },
    ),
  );
  try {
    const keys = await store.keys.loadOrCreate();
    const { retireMarginSeconds } = config.keyRotation;
    const ring = await importKeyRing(keys.stored, retireMarginSeconds);
    const kid = signingKeyAt(keys.stored, Date.now()).kid;
    logger.info(keys.created ? "created issuer keys" : "loaded issuer keys", { file: store.keys.location, kid, storage: store.backend });
    await store.settings.recordDefaultTokenTtl(config.tokenTtlSeconds);
    await bootstrapAssistantClient({ store: store.clients, shared: store.shared, catalog, dataDir: config.dataDir, logger });
    const onKeyEvent = (event: IssuerKeyEvent) => audit?.write(auditEvent(event.kind === "activated" ? "key.activated" : "key.retired", { actor: providerActor, subject: event.kid }));
    const liveKeys = startLiveIssuerKeys({ source: store.keys, initial: ring, retireMarginSeconds, logger, onKeyEvent });
    metrics?.watchKeys(liveKeys.keyStates);
    const signer = createAccessTokenSigner({ issuer, key: liveKeys.signingKey });
    const failedAuthLimiter = store.createFailedAuthLimiter(config.failedAuthLimits);
    const revocationList = createPublishedRevocationList({
      issuer,
      revocations: store.revocations,
      onStale: (err) =>
        logger.warn("cannot read the revocations; serving the last known revocation list", { error: err instanceof Error ? err.message : String(err) }),
      onRecovered: () => logger.info("reading the revocations again; the revocation list is current"),
      onNewClientRevocations: (count) => metrics?.revoked("client", count),
    });
    void revocationList.current().catch(() => {}); // warm: a poll right after a database outage finds content
    const routes: EmbeddedRoutesDeps = {
      issuer,
      jwks: liveKeys.jwks,
      catalog,
      clients: store.clients,
      tokenEndpointUrl: `${issuer}${tokenEndpointPath}`,
      replayGuard: store.assertionReplayGuard,
      tokenBudget: store.tokenBudget,
      revocations: store.revocations,
      revocationList,
      verifyToken: createIssuedTokenVerifier({ issuer, jwks: liveKeys.jwks }),
      signer,
      tokenTtlSeconds: config.tokenTtlSeconds,
      failedAuthLimiter,
      tlsClientAuth: config.clientCa !== undefined,
      isStoreUnavailable: store.isUnavailable,
      observer: createEndpointObserver({ metrics, audit }),
      onThrottle: (throttle, attempt) =>
        logger.warn("too many failed client authentications; refusing for a while", {
          limit: throttle.scope,
          address: attempt.address,
          ...(throttle.scope === "address" ? {} : { client_id: attempt.clientId?.slice(0, 64) }),
          retry_after_s: throttle.retryAfterSeconds,
        }),
    };
    const { mount, plainRoutes } = createEmbeddedRoutes(routes);
    return {
      name: "embedded",
      mountAuthRoutes: mount,
      plainRoutes,
      health: () => {
        // SQLite answers as before (always ok); on PostgreSQL the last key check says whether the database answers.
        if (store.backend === "sqlite") return { ok: true, body: { status: "ok", backend: "embedded" } };
        const status = liveKeys.status();
        return status.ok
          ? { ok: true, body: { status: "ok", backend: "embedded", storage: "postgres" } }
          : { ok: false, body: { status: "unavailable", backend: "embedded", storage: "postgres", reason: status.reason } };
      },
      answerError: (err) =>
        store.isUnavailable(err)
          ? { status: 503, body: { error: "temporarily_unavailable", error_description: "the authorization server cannot reach its database; retry shortly" } }
          : undefined,
      close: () => {
        liveKeys.close();
        void store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}
