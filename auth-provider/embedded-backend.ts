/**
 * The embedded issuer: keys and client records under DATA_DIR, the assistant
 * registered on first start, tokens signed in this process.
 */
import type { Logger } from "../common/json-logger.js";
import { createAccessTokenSigner } from "./access-token-signer.js";
import type { AuthBackend } from "./auth-backend.js";
import { openAuthDatabase } from "./auth-database.js";
import { bootstrapAssistantClient } from "./bootstrap-assistant-client.js";
import { createClientStore } from "./client-store.js";
import type { AuthProviderConfig } from "./config.js";
import { mountEmbeddedRoutes } from "./embedded-routes.js";
import { loadOrCreateIssuerKeys } from "./issuer-keys.js";

export async function startEmbeddedBackend(config: AuthProviderConfig, issuer: string, logger: Logger): Promise<AuthBackend> {
  const keys = await loadOrCreateIssuerKeys(config.dataDir);
  logger.info(keys.created ? "created issuer keys" : "loaded issuer keys", { file: keys.file, kid: keys.current.kid });
  const db = openAuthDatabase(config.dataDir);
  try {
    const clientStore = createClientStore(db, keys.clientSecretHashKey);
    bootstrapAssistantClient({ store: clientStore, dataDir: config.dataDir, logger });
    const signer = createAccessTokenSigner({ issuer, key: keys.current });
    return {
      name: "embedded",
      mountAuthRoutes: (app) => mountEmbeddedRoutes(app, { issuer, jwks: keys.jwks, clientStore, signer, tokenTtlSeconds: config.tokenTtlSeconds }),
      health: () => ({ ok: true, body: { status: "ok", backend: "embedded" } }),
      close: () => db.close(),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
