/**
 * The key source against a JWKS served over real HTTP on loopback, with a
 * frozen clock: caching, rate-limited refetch for unknown kids, outages.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { createSigningKey, startJwksServer, type JwksServer } from "../test/support/jwks-server.js";
import { AccessTokenError } from "./access-token-error.js";
import { createJwksKeySource } from "./jwks-key-source.js";

let jwks: JwksServer;
let url = "";

const publicJwk = async (kid: string) => (await createSigningKey(kid)).publicJwk;

before(async () => {
  jwks = await startJwksServer();
  url = jwks.url;
});
after(() => jwks.close());
beforeEach(async () => {
  jwks.keys = [await publicJwk("k1")];
  jwks.up = true;
  jwks.requests = 0;
});
const header = (kid: string) => ({ alg: "ES256", kid });
const token = { payload: "", signature: "" };

test("keys are fetched once and then served from the cache", async () => {
  const source = createJwksKeySource({ url });
  for (let i = 0; i < 20; i++) await source.getKey(header("k1"), token);
  assert.equal(jwks.requests, 1);
});

test("an unknown kid refetches at most once per interval, then fails fast with unknown_key", async () => {
  let now = 0;
  const source = createJwksKeySource({ url, now: () => now, minRefetchIntervalMs: 10_000 });
  await source.getKey(header("k1"), token);
  for (let i = 0; i < 50; i++) {
    await assert.rejects(source.getKey(header(`bogus-${i}`), token), (err) => err instanceof AccessTokenError && err.reason === "unknown_key");
  }
  assert.equal(jwks.requests, 1, "the first fetch was recent: unknown kids do not refetch");
  now = 10_000;
  jwks.keys.push(await publicJwk("k2"));
  await source.getKey(header("k2"), token);
  assert.equal(jwks.requests, 2, "after the interval an unknown kid refetches once, and finds the new key");
});

test("while the provider is down, cached keys keep working and the stale cache is refreshed later", async () => {
  let now = 0;
  const source = createJwksKeySource({ url, now: () => now, refreshIntervalMs: 60_000, minRefetchIntervalMs: 1_000 });
  await source.getKey(header("k1"), token);
  jwks.up = false;
  now = 120_000;
  await source.getKey(header("k1"), token); // stale: refreshes in the background, answers from the cache
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(jwks.requests, 2);
  await source.getKey(header("k1"), token);
  assert.equal(jwks.requests, 2, "no new attempt within the refetch interval");
});

test("with no keys ever fetched, getKey fails with keys_unavailable and retries at most once a second", async () => {
  let now = 0;
  jwks.up = false;
  const source = createJwksKeySource({ url, now: () => now });
  for (let i = 0; i < 10; i++) {
    await assert.rejects(source.getKey(header("k1"), token), (err) => err instanceof AccessTokenError && err.reason === "keys_unavailable" && /HTTP 503/.test(err.message));
  }
  assert.equal(jwks.requests, 1);
  jwks.up = true;
  now = 1_000;
  await source.getKey(header("k1"), token);
  assert.equal(jwks.requests, 2);
});

test("concurrent calls share one fetch", async () => {
  const source = createJwksKeySource({ url });
  await Promise.all(Array.from({ length: 25 }, () => source.getKey(header("k1"), token)));
  assert.equal(jwks.requests, 1);
});
