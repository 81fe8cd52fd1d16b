/**
 * What the bad-token matrix (bad-token-cases.ts) needs besides the system
 * under test: a second, unrelated auth provider (its tokens are valid, just
 * not ours) and a URL that jku / x5u headers point at, which must never be
 * asked for anything.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startProcess, tempDataDir } from "./processes.js";

export interface BadTokenFixtures {
  /** For badTokenCases' `otherIssuer`. */
  otherIssuer(): { url: string; dataDir: string };
  /** For badTokenCases' `lureUrl`. */
  lureUrl(): string;
  /** How many requests reached the lure: a verifier that fetched it would have trusted the token's header. */
  lureRequests(): number;
  stop(): Promise<void>;
}

/** Starts both; `issuer` is the system's own issuer, which the other provider claims too. */
export async function startBadTokenFixtures(issuer: string): Promise<BadTokenFixtures> {
  const otherData = tempDataDir();
  let requests = 0;
  const lure = createServer((_req, res) => {
    requests++;
    res.writeHead(404).end();
  });
  const [other] = await Promise.all([
    startProcess("auth-provider/main.js", { env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: otherData.path, AUTH_ISSUER: issuer } }),
    new Promise<void>((resolve) => lure.listen(0, "127.0.0.1", resolve)),
  ]);
  const lureUrl = `http://127.0.0.1:${(lure.address() as AddressInfo).port}/keys.json`;
  return {
    otherIssuer: () => ({ url: other.url, dataDir: otherData.path }),
    lureUrl: () => lureUrl,
    lureRequests: () => requests,
    async stop() {
      await other.stop();
      otherData.remove();
      lure.close();
    },
  };
}
