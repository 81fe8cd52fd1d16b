/**
 * The embedded issuer: keys and client records under DATA_DIR, the assistant
 * registered on first start, tokens signed in this process. Changes made by
 * `auth-admin` while it runs take effect without a restart: clients are read
 * from SQLite per request, and the keys file is re-read every second.
 */
import type { Logger } from "../../common/json-logger.js";
import { createAccessTokenSigner } from "../token/access-token-signer.js";
import type { AuthBackend } from "../auth-backend.js";
import { openAuthDatabase } from "../storage/auth-database.js";
import { bootstrapAssistantClient } from "../clients/bootstrap-assistant-client.js";
import { createClientStore } from "../clients/client-store.js";
import type { AuthProviderConfig } from "../config.js";
import { mountEmbeddedRoutes, type EmbeddedRoutesDeps } from "./embedded-routes.js";
import { createFailedAuthLimiter } from "../clients/failed-auth-limiter.js";
import { loadOrCreateIssuerKeys } from "../keys/key-file.js";
import { recordDefaultTokenTtl } from "../keys/issuer-settings.js";
import { importKeyRing, signingKeyAt } from "../keys/key-ring.js";
import { startLiveIssuerKeys } from "../keys/live-keys.js";

/**
 * Loads or creates the keys and the client database, registers the assistant on first start, and starts re-reading
 * the keys file. Throws (closing what it opened) when the keys file is invalid or the database cannot be opened.
 */
export async function startEmbeddedBackend(config: AuthProviderConfig, issuer: string, logger: Logger): Promise<AuthBackend> {
  const keys = await loadOrCreateIssuerKeys(config.dataDir);
  const { retireMarginSeconds } = config.keyRotation;
  const ring = await importKeyRing(keys.stored, retireMarginSeconds);
  const kid = signingKeyAt(keys.stored, Date.now()).kid;
  logger.info(keys.created ? "created issuer keys" : "loaded issuer keys", { file: keys.file, kid });
  const db = openAuthDatabase(config.dataDir);
  try {
    const clientStore = createClientStore(db, keys.clientSecretHashKey);
    recordDefaultTokenTtl(db, config.tokenTtlSeconds);
    bootstrapAssistantClient({ store: clientStore, dataDir: config.dataDir, logger });
    const liveKeys = startLiveIssuerKeys({ file: keys.file, initial: ring, db, retireMarginSeconds, logger });
    const signer = createAccessTokenSigner({ issuer, key: liveKeys.signingKey });
    const failedAuthLimiter = createFailedAuthLimiter(config.failedAuthLimits);
    const routes: EmbeddedRoutesDeps = {
      issuer,
      jwks: liveKeys.jwks,
      clientStore,
      signer,
      tokenTtlSeconds: config.tokenTtlSeconds,
      failedAuthLimiter,
      onThrottle: (throttle, attempt) =>
        logger.warn("too many failed client authentications; refusing for a while", {
          limit: throttle.scope,
          address: attempt.address,
          ...(throttle.scope === "address" ? {} : { client_id: attempt.clientId?.slice(0, 64) }),
          retry_after_s: throttle.retryAfterSeconds,
        }),
    };
    return {
      name: "embedded",
      mountAuthRoutes: (app) => mountEmbeddedRoutes(app, routes),
      health: () => ({ ok: true, body: { status: "ok", backend: "embedded" } }),
      close: () => {
        liveKeys.close();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
