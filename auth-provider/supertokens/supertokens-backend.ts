/**
 * The SuperTokens backend: supertokens-node's middleware serves the token
 * endpoint, JWKS and discovery under /auth; the assistant client is made sure
 * of in the background, retried with backoff while the core cannot be reached
 * or refuses, and /healthz says which.
 */
import { errorHandler, middleware } from "supertokens-node/framework/express/index.js";
import type { Logger } from "../../common/json-logger.js";
import { retryWithBackoff } from "../../common/retry-with-backoff.js";
import type { AuthBackend } from "../auth-backend.js";
import type { AuthProviderConfig } from "../config.js";
import { ensureAssistantOAuthClient } from "./assistant-oauth-client.js";
import { describeCoreError, isCoreError } from "./core-errors.js";
import { initSuperTokens } from "./init-supertokens.js";

export function startSuperTokensBackend(config: AuthProviderConfig, issuer: string, logger: Logger): AuthBackend {
  const { connectionUri, apiKey } = config.supertokens!;
  initSuperTokens({ connectionUri, apiKey, issuer });
  let problem: string | undefined = `connecting to the SuperTokens core at ${connectionUri}`;
  const stop = new AbortController();

  void retryWithBackoff(
    async () => {
      await ensureAssistantOAuthClient(config.dataDir, logger);
      problem = undefined;
      logger.info("the SuperTokens core is ready", { connection_uri: connectionUri });
    },
    {
      signal: stop.signal,
      onFailure: (err, delayMs) => {
        problem = describeCoreError(err, connectionUri).message;
        logger.error(`${problem}; retrying in ${Math.round(delayMs / 1000)} s`);
      },
    },
  );

  return {
    name: "supertokens",
    mountAuthRoutes: (app) => {
      app.use(middleware());
      app.use(errorHandler());
    },
    health: () =>
      problem === undefined
        ? { ok: true, body: { status: "ok", backend: "supertokens" } }
        : { ok: false, body: { status: "unavailable", backend: "supertokens", reason: problem } },
    answerError: (err) =>
      isCoreError(err) ? { status: 503, body: { error: "temporarily_unavailable", error_description: describeCoreError(err, connectionUri).message } } : undefined,
    close: () => stop.abort(),
  };
}
