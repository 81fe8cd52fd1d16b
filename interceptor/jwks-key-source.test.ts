/**
 * The key source against a JWKS served over real HTTP on loopback, with a
 * frozen clock: caching, rate-limited refetch for unknown kids, outages.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, beforeEach, test } from "node:test";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { AccessTokenError } from "./access-token-error.js";
import { createJwksKeySource } from "./jwks-key-source.js";

let server: Server;
let url = "";
let keys: JWK[] = [];
let up = true;
let requests = 0;

async function publicJwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair("ES256");
  return { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
}

before(async () => {
  server = createServer((_req, res) => {
    requests++;
    if (!up) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
});
after(() => server.close());
beforeEach(async () => {
  keys = [await publicJwk("k1")];
  up = true;
  requests = 0;
});

const header = (kid: string) => ({ alg: "ES256", kid });
const token = { payload: "", signature: "" };

test("keys are fetched once and then served from the cache", async () => {
  const source = createJwksKeySource({ url });
  for (let i = 0; i < 20; i++) await source.getKey(header("k1"), token);
  assert.equal(requests, 1);
});

test("an unknown kid refetches at most once per interval, then fails fast with unknown_key", async () => {
  let now = 0;
  const source = createJwksKeySource({ url, now: () => now, minRefetchIntervalMs: 10_000 });
  await source.getKey(header("k1"), token);
  for (let i = 0; i < 50; i++) {
    await assert.rejects(source.getKey(header(`bogus-${i}`), token), (err) => err instanceof AccessTokenError && err.reason === "unknown_key");
  }
  assert.equal(requests, 1, "the first fetch was recent: unknown kids do not refetch");
  now = 10_000;
  keys.push(await publicJwk("k2"));
  await source.getKey(header("k2"), token);
  assert.equal(requests, 2, "after the interval an unknown kid refetches once, and finds the new key");
});

test("while the provider is down, cached keys keep working and the stale cache is refreshed later", async () => {
  let now = 0;
  const source = createJwksKeySource({ url, now: () => now, refreshIntervalMs: 60_000, minRefetchIntervalMs: 1_000 });
  await source.getKey(header("k1"), token);
  up = false;
  now = 120_000;
  await source.getKey(header("k1"), token); // stale: refreshes in the background, answers from the cache
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(requests, 2);
  await source.getKey(header("k1"), token);
  assert.equal(requests, 2, "no new attempt within the refetch interval");
});

test("with no keys ever fetched, getKey fails with keys_unavailable and retries at most once a second", async () => {
  let now = 0;
  up = false;
  const source = createJwksKeySource({ url, now: () => now });
  for (let i = 0; i < 10; i++) {
    await assert.rejects(source.getKey(header("k1"), token), (err) => err instanceof AccessTokenError && err.reason === "keys_unavailable" && /HTTP 503/.test(err.message));
  }
  assert.equal(requests, 1);
  up = true;
  now = 1_000;
  await source.getKey(header("k1"), token);
  assert.equal(requests, 2);
});

test("concurrent calls share one fetch", async () => {
  const source = createJwksKeySource({ url });
  await Promise.all(Array.from({ length: 25 }, () => source.getKey(header("k1"), token)));
  assert.equal(requests, 1);
});
