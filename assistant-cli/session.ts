/**
 * Everything a command needs, built once from the settings: the token
 * provider (with its disk cache and, unless DPoP is off, the DPoP key beside
 * it) and the service clients.
 */
import { loadClientCredentials, type ClientCredentials } from "./client-credentials.js";
import { createDpopKeyStore } from "./dpop-key.js";
import { createServiceClients, type ServiceClients } from "./service-clients.js";
import type { AssistantSettings } from "./settings.js";
import { createTokenCache } from "./token-cache.js";
import { createTokenProvider, type TokenProvider } from "./token-provider.js";

export interface AssistantSession extends ServiceClients {
  settings: AssistantSettings;
  tokens: TokenProvider;
}

export function createAssistantSession(settings: AssistantSettings, env: Readonly<Record<string, string | undefined>> = process.env): AssistantSession {
  let credentials: ClientCredentials | undefined;
  const tokens = createTokenProvider({
    authUrl: settings.authUrl,
    credentials: () => (credentials ??= loadClientCredentials(env, settings.dataDir, settings.clientCertificate)),
    cache: createTokenCache({ file: settings.tokenCacheFile }),
    ca: settings.ca,
    clientCertificate: settings.clientCertificate,
    dpopKeys: settings.dpop ? createDpopKeyStore(settings.dpopKeyFile) : undefined,
  });
  return { settings, tokens, ...createServiceClients(settings, tokens) };
}
