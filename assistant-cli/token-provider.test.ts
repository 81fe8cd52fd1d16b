/**
 * The token provider against a stand-in auth provider (an in-process HTTP server): DPoP-bound tokens when discovery
 * advertises DPoP, with the key made only then; a cached DPoP token used with no request at all; Bearer tokens
 * exactly as before when DPoP is off (not even a discovery request) or not advertised; a cached Bearer token never
 * used where DPoP is wanted.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createDpopProofVerifier } from "../interceptor/dpop-proof.js";
import { createDpopKeyStore } from "./dpop-key.js";
import { createTokenCache } from "./token-cache.js";
import { createTokenProvider } from "./token-provider.js";

const servers: Server[] = [];
after(() => servers.forEach((server) => server.close()));

/** A stand-in auth provider that advertises DPoP or not, answering DPoP to a request with a proof; it records paths and proofs. */
async function authProvider(advertisesDpop: boolean) {
  const requests: { path: string; dpop: string | undefined }[] = [];
  let issued = 0;
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? "", dpop: req.headers["dpop"] as string | undefined });
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/oauth-authorization-server/auth") {
      return res.end(JSON.stringify({ issuer: "http://issuer/auth", ...(advertisesDpop ? { dpop_signing_alg_values_supported: ["ES256"] } : {}) }));
    }
    const tokenType = req.headers["dpop"] ? "DPoP" : "Bearer";
    res.end(JSON.stringify({ access_token: `${tokenType}-token-${++issued}`, token_type: tokenType, expires_in: 600, scope: "note.read" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function provider(authUrl: string, dir: string, dpop: boolean) {
  return createTokenProvider({
    authUrl,
    credentials: () => ({ clientId: "assistant", clientSecret: "s".repeat(43) }),
    cache: createTokenCache({ file: join(dir, "tokens.json") }),
    dpopKeys: dpop ? createDpopKeyStore(join(dir, "dpop-key.json")) : undefined,
  });
}

const tempDir = () => mkdtempSync(join(tmpdir(), "m2m-grpc-token-provider-"));

test("DPoP advertised: a DPoP-bound token, asked for with a proof for the token endpoint; the next run reuses it without a request", async () => {
  const auth = await authProvider(true);
  const dir = tempDir();
  const token = await provider(auth.url, dir, true).getToken("note-service", "note.read");
  assert.deepEqual([token.tokenType, token.cached, token.accessToken], ["DPoP", false, "DPoP-token-1"]);
  assert.ok(token.dpopKey);
  const proof = auth.requests.find((r) => r.path === "/auth/oauth/token")?.dpop;
  const verified = await createDpopProofVerifier()(proof, { method: "POST", urls: [`${auth.url}/auth/oauth/token`] });
  assert.equal(verified.thumbprint, token.dpopKey.thumbprint);

  const before = auth.requests.length;
  const again = await provider(auth.url, dir, true).getToken("note-service", "note.read");
  assert.deepEqual([again.tokenType, again.cached, again.accessToken, again.dpopKey?.thumbprint], ["DPoP", true, "DPoP-token-1", token.dpopKey.thumbprint]);
  assert.equal(auth.requests.length, before, "no discovery and no token request");
});

test("DPoP not advertised: a Bearer token, and no key is made", async () => {
  const auth = await authProvider(false);
  const dir = tempDir();
  const token = await provider(auth.url, dir, true).getToken("note-service", "note.read");
  assert.deepEqual([token.tokenType, token.dpopKey], ["Bearer", undefined]);
  assert.equal(auth.requests.find((r) => r.path === "/auth/oauth/token")?.dpop, undefined);
  assert.equal(existsSync(join(dir, "dpop-key.json")), false);
});

test("DPoP off: Bearer tokens as before, without even a discovery request", async () => {
  const auth = await authProvider(true);
  const dir = tempDir();
  const token = await provider(auth.url, dir, false).getToken("note-service", "note.read");
  assert.equal(token.tokenType, "Bearer");
  assert.deepEqual(auth.requests.map((r) => [r.path, r.dpop]), [["/auth/oauth/token", undefined]]);
  assert.equal((await provider(auth.url, dir, false).getToken("note-service", "note.read")).cached, true);
  assert.equal(existsSync(join(dir, "dpop-key.json")), false);
});

test("a cached Bearer token is not used where DPoP is wanted, nor a DPoP token where Bearer is", async () => {
  const auth = await authProvider(true);
  const dir = tempDir();
  const bearer = await provider(auth.url, dir, false).getToken("note-service", "note.read");
  const dpop = await provider(auth.url, dir, true).getToken("note-service", "note.read");
  assert.deepEqual([dpop.tokenType, dpop.cached], ["DPoP", false]);
  const bearerAgain = await provider(auth.url, dir, false).getToken("note-service", "note.read");
  assert.deepEqual([bearerAgain.tokenType, bearerAgain.cached, bearerAgain.accessToken], ["Bearer", true, bearer.accessToken]);
});

test("invalidate drops the token, whichever type it is, so the next get asks anew", async () => {
  const auth = await authProvider(true);
  const tokens = provider(auth.url, tempDir(), true);
  const first = await tokens.getToken("note-service", "note.read");
  tokens.invalidate("note-service", "note.read");
  const second = await tokens.getToken("note-service", "note.read");
  assert.equal(second.cached, false);
  assert.notEqual(second.accessToken, first.accessToken);
  assert.equal(second.tokenType, "DPoP");
});
