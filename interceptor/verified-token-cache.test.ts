import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Principal } from "./principal.js";
import { createVerifiedTokenCache } from "./verified-token-cache.js";

const now = Date.parse("2026-11-29T12:00:00Z");
const principal = (clientId: string, expiresInS = 300): Principal => ({ clientId, subject: clientId, scopes: ["note.read"], tokenId: clientId, expiresAt: new Date(now + expiresInS * 1000) });
const signature = "S".repeat(86);
const bearer = (payload: string, sig = signature) => `Bearer eyJhbGciOiJFUzI1NiJ9.${payload}.${sig}`;

describe("verified-token cache", () => {
  const published = new Set(["k1"]);
  const cache = (maxEntries = 10) => createVerifiedTokenCache({ maxEntries, clockToleranceSeconds: 5, isPublished: (kid) => published.has(kid) });

  test("a value verified before is a hit; one that only ends alike is a miss, and never the other's principal", () => {
    const c = cache();
    c.set(bearer("alice"), principal("alice"), "k1", now);
    assert.equal(c.get(bearer("alice"), now)?.clientId, "alice");
    assert.equal(c.get(bearer("mallory"), now), undefined, "same signature, other payload");
    assert.equal(c.get(`DPoP ${bearer("alice").slice("Bearer ".length)}`, now), undefined, "same token, other scheme");
    c.set(bearer("mallory"), principal("mallory"), "k1", now);
    assert.equal(c.get(bearer("alice"), now), undefined, "the slot went to the value verified last");
    assert.equal(c.get(bearer("mallory"), now)?.clientId, "mallory");
  });

  test("expired tokens and tokens of keys no longer published are misses", () => {
    const c = cache();
    c.set(bearer("short", "A".repeat(86)), principal("short", 10), "k1", now);
    assert.equal(c.get(bearer("short", "A".repeat(86)), now + 14_000)?.clientId, "short", "within the clock tolerance");
    assert.equal(c.get(bearer("short", "A".repeat(86)), now + 15_000), undefined);
    c.set(bearer("rotated", "B".repeat(86)), principal("rotated"), "k2", now);
    assert.equal(c.get(bearer("rotated", "B".repeat(86)), now), undefined);
    assert.equal(c.size, 0);
  });

  test("bounded: the least recently used entry goes first; 0 turns the cache off", () => {
    const c = cache(2);
    const value = (n: number) => bearer(`p${n}`, `${n}`.padStart(86, "x"));
    c.set(value(1), principal("1"), "k1", now);
    c.set(value(2), principal("2"), "k1", now);
    c.get(value(1), now + 2000); // refreshed: 2 is now the least recently used
    c.set(value(3), principal("3"), "k1", now + 2000);
    assert.equal(c.size, 2);
    assert.equal(c.get(value(2), now + 2000), undefined);
    assert.equal(c.get(value(1), now + 2000)?.clientId, "1");
    const off = cache(0);
    off.set(value(1), principal("1"), "k1", now);
    assert.equal(off.get(value(1), now), undefined);
  });
});
