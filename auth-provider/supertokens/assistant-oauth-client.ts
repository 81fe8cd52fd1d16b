/**
 * The assistant as an OAuth2 client of the SuperTokens core: created with
 * OAuth2Provider.createOAuth2Client on first start, its credentials written
 * to clients.json exactly as the embedded issuer does; reused on later starts,
 * and created again when the core no longer knows it.
 */
import OAuth2Provider from "supertokens-node/recipe/oauth2provider/index.js";
import type { Logger } from "../../common/json-logger.js";
import { assistantClient } from "../clients/bootstrap-assistant-client.js";
import { clientEntry, clientsFilePath, readClientsFile, writeClientEntry, type ClientCredentialsEntry } from "../clients/clients-file.js";

/** What we ask the core to register: client credentials only, the assistant's scopes and audiences. */
export const assistantOAuthClientInput = {
  clientName: assistantClient.clientId,
  grantTypes: [...assistantClient.grantTypes],
  responseTypes: [],
  scope: assistantClient.scopes.join(" "),
  audience: [...assistantClient.audiences],
  tokenEndpointAuthMethod: "client_secret_basic",
};

export class CoreRefusedError extends Error {
  override name = "CoreRefusedError";
}

/** Makes sure the core knows the assistant; throws what the SDK throws (core down) or CoreRefusedError. */
export async function ensureAssistantOAuthClient(dataDir: string, logger: Logger): Promise<ClientCredentialsEntry> {
  const file = clientsFilePath(dataDir);
  const saved = clientEntry(readClientsFile(file), assistantClient.clientId);
  if (saved) {
    const found = await OAuth2Provider.getOAuth2Client(saved.clientId);
    if (found.status === "OK") {
      logger.info("assistant client credentials", { file, client_id: saved.clientId, outcome: "unchanged" });
      return saved;
    }
    if (!/not valid or unknown/i.test(found.errorDescription)) throw new CoreRefusedError(`${found.error}: ${found.errorDescription}`);
    logger.warn("the SuperTokens core no longer knows the assistant client; creating it again", { client_id: saved.clientId });
  }
  const created = await OAuth2Provider.createOAuth2Client(assistantOAuthClientInput);
  if (created.status !== "OK") throw new CoreRefusedError(`${created.error}: ${created.errorDescription}`);
  const credentials = { clientId: created.client.clientId, clientSecret: created.client.clientSecret ?? "" };
  if (credentials.clientSecret === "") throw new CoreRefusedError("the core created the client but returned no secret");
  writeClientEntry(file, assistantClient.clientId, credentials);
  logger.info("assistant client credentials", { file, client_id: credentials.clientId, outcome: saved ? "recreated" : "created" });
  return credentials;
}
