/**
 * The real auth provider (embedded issuer) as a benchmark server: its own
 * process on a free loopback port, data in `dataDir`, LOG_LEVEL=warn, ready
 * once its JWKS answers. Returns the process, the issuer and the assistant's
 * credentials it registered on first start.
 */
import { readAssistantCredentials, type ClientCredentials } from "../test/support/tokens.js";
import { freePort, startServer, type ServerProcess } from "./server-process.js";

export interface AuthProviderProcess {
  readonly server: ServerProcess;
  readonly issuer: string;
  readonly credentials: ClientCredentials;
}

export async function startAuthProvider(dataDir: string): Promise<AuthProviderProcess> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/auth`;
  const server = await startServer({
    name: "auth-provider",
    entry: "auth-provider/main.js",
    port,
    env: { AUTH_PORT: String(port), AUTH_HOST: "127.0.0.1", AUTH_ISSUER: issuer, DATA_DIR: dataDir, LOG_LEVEL: "warn" },
    ready: async (url) => (await fetch(`${url}/auth/jwt/jwks.json`)).ok,
  });
  return { server, issuer, credentials: readAssistantCredentials(dataDir) };
}
