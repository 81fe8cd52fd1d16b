/**
 * The assistant's OAuth2 client credentials: ASSISTANT_CLIENT_ID and
 * ASSISTANT_CLIENT_SECRET, else the `assistant` entry of $DATA_DIR/clients.json
 * that the auth provider writes on first start.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CliError } from "../common/cli-error.js";

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export function loadClientCredentials(env: Readonly<Record<string, string | undefined>>, dataDir: string): ClientCredentials {
  const clientId = env["ASSISTANT_CLIENT_ID"];
  const clientSecret = env["ASSISTANT_CLIENT_SECRET"];
  if (clientId && clientSecret) return { clientId, clientSecret };
  if (clientId || clientSecret) {
    throw new CliError("usage", "set both ASSISTANT_CLIENT_ID and ASSISTANT_CLIENT_SECRET, or neither to use clients.json");
  }
  const file = resolve(join(dataDir, "clients.json"));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new CliError(
      "auth",
      `no client credentials: ${file} does not exist — start the auth provider once (npm start), or set ASSISTANT_CLIENT_ID and ASSISTANT_CLIENT_SECRET`,
    );
  }
  const entry = parseEntry(text);
  if (!entry) throw new CliError("auth", `no client credentials: ${file} has no "assistant" entry with clientId and clientSecret`);
  return entry;
}

function parseEntry(text: string): ClientCredentials | undefined {
  try {
    const entry = (JSON.parse(text) as Record<string, Partial<ClientCredentials>>)["assistant"];
    if (typeof entry?.clientId === "string" && typeof entry.clientSecret === "string") {
      return { clientId: entry.clientId, clientSecret: entry.clientSecret };
    }
  } catch {
    // reported by the caller as a file without a usable entry
  }
  return undefined;
}
