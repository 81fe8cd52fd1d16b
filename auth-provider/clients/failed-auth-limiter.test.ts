/**
 * Unit tests of the failed-authentication limiter with a frozen clock: the
 * per client-and-address, per address and per client counts, the exemption of
 * addresses a client authenticated from, memory bounds, and address keys.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createFailedAuthLimiter, type FailedAuthLimiterOptions } from "./failed-auth-limiter.js";

function limiter(overrides: Partial<FailedAuthLimiterOptions> = {}) {
  const clock = { now: 1_000_000 };
  const l = createFailedAuthLimiter({
    perClientAddress: 5,
    perAddress: 20,
    perClient: 100,
    windowSeconds: 60,
    now: () => clock.now,
    ...overrides,
  });
  return { l, clock };
}

describe("failed authentication limiter", () => {
  it("throttles a client id from one address after 5 failures until 60 s after the first, then forgets", () => {
    const { l, clock } = limiter();
    const attempt = { address: "10.0.0.1", clientId: "cron" };
    for (let i = 1; i <= 4; i++) {
      assert.equal(l.recordFailure(attempt), undefined);
      clock.now += 1000;
    }
    assert.equal(l.check(attempt), undefined, "4 failures are fine");
    assert.deepEqual(l.recordFailure(attempt), { scope: "client-address", retryAfterSeconds: 56 });
    assert.deepEqual(l.check(attempt), { scope: "client-address", retryAfterSeconds: 56 });
    assert.deepEqual(l.check({ address: "::ffff:10.0.0.1", clientId: "cron" })?.scope, "client-address", "the same address IPv4-mapped");
    assert.equal(l.check({ address: "10.9.9.9", clientId: "cron" }), undefined, "the client from another address is fine");
    assert.equal(l.check({ address: "10.0.0.1", clientId: "other" }), undefined, "other clients from that address are fine");
    clock.now += 55_500;
    assert.deepEqual(l.check(attempt), { scope: "client-address", retryAfterSeconds: 1 });
    clock.now += 500;
    assert.equal(l.check(attempt), undefined, "the window is over");
    assert.equal(l.recordFailure(attempt), undefined, "a new window starts at one failure");
  });

  it("lets no number of guessing addresses lock a client out of an address it authenticated from", () => {
    const { l, clock } = limiter({ perClient: 12, trustSeconds: 3600 });
    l.recordSuccess({ address: "10.0.0.1", clientId: "cron" });
    for (const address of ["10.0.0.2", "10.0.0.3", "10.0.0.4"]) {
      for (let i = 0; i < 3; i++) assert.equal(l.recordFailure({ address, clientId: "cron" }), undefined);
    }
    assert.equal(l.recordFailure({ address: "10.0.0.1", clientId: "cron" }), undefined, "10 failures, one from the trusted address");
    assert.equal(l.recordFailure({ address: "10.0.0.5", clientId: "cron" }), undefined);
    assert.deepEqual(l.recordFailure({ address: "10.0.0.6", clientId: "cron" }), { scope: "client", retryAfterSeconds: 60 });
    assert.deepEqual(l.check({ address: "10.0.0.7", clientId: "cron" }), { scope: "client", retryAfterSeconds: 60 }, "a new address");
    assert.equal(l.check({ address: "10.0.0.1", clientId: "cron" }), undefined, "the trusted address");
    assert.equal(l.check({ address: "10.0.0.7", clientId: "other" }), undefined, "another client");
    clock.now += 3600_000;
    l.recordFailure({ address: "10.0.0.8", clientId: "cron" }); // a new window; trust has expired
    for (let i = 0; i < 11; i++) l.recordFailure({ address: `10.0.1.${i}`, clientId: "cron" });
    assert.equal(l.check({ address: "10.0.0.1", clientId: "cron" })?.scope, "client", "trust lasts trustSeconds");
  });

  it("starts no per-client throttle when the ceiling is reached from a trusted address", () => {
    const { l } = limiter({ perClientAddress: 0, perClient: 3 });
    l.recordSuccess({ address: "10.0.0.1", clientId: "cron" });
    l.recordFailure({ address: "10.0.0.2", clientId: "cron" });
    l.recordFailure({ address: "10.0.0.3", clientId: "cron" });
    assert.equal(l.recordFailure({ address: "10.0.0.1", clientId: "cron" }), undefined);
    assert.equal(l.check({ address: "10.0.0.4", clientId: "cron" })?.scope, "client");
  });

  it("throttles an address after 20 failures whatever the client ids", () => {
    const { l } = limiter();
    for (let i = 0; i < 19; i++) l.recordFailure({ address: "10.0.0.2", clientId: `random-${i}` });
    assert.equal(l.check({ address: "10.0.0.2" }), undefined);
    assert.deepEqual(l.recordFailure({ address: "10.0.0.2" }), { scope: "address", retryAfterSeconds: 60 });
    assert.equal(l.check({ address: "10.0.0.2", clientId: "assistant" })?.scope, "address");
    assert.equal(l.check({ address: "10.0.0.3", clientId: "assistant" }), undefined);
  });

  it("stays within maxEntries per table however many client ids are tried, dropping the least recent", () => {
    const { l } = limiter({ maxEntries: 100, perAddress: 0 });
    for (let i = 0; i < 5; i++) l.recordFailure({ address: "a", clientId: "target" });
    for (let i = 0; i < 10_000; i++) l.recordFailure({ address: "a", clientId: `random-${i}` });
    assert.equal(l.size, 200, "100 per client-and-address, 100 per client");
    assert.equal(l.check({ address: "a", clientId: "target" }), undefined, "evicted");
    assert.equal(l.check({ address: "a", clientId: "random-9999" }), undefined, "one failure is not a throttle");
    const trust = limiter({ maxEntries: 100 }).l;
    for (let i = 0; i < 1000; i++) trust.recordSuccess({ address: `10.0.${i >> 8}.${i & 255}`, clientId: "cron" });
    assert.equal(trust.size, 100);
  });

  it("ignores over-long client ids and can be turned off", () => {
    const { l } = limiter({ perAddress: 0 });
    for (let i = 0; i < 10; i++) l.recordFailure({ address: "a", clientId: "x".repeat(129) });
    l.recordSuccess({ address: "a", clientId: "x".repeat(129) });
    assert.equal(l.size, 0);
    const off = limiter({ perClientAddress: 0, perClient: 0, perAddress: 0 }).l;
    for (let i = 0; i < 100; i++) off.recordFailure({ address: "a", clientId: "c" });
    off.recordSuccess({ address: "a", clientId: "c" });
    assert.equal(off.check({ address: "a", clientId: "c" }), undefined);
    assert.equal(off.size, 0);
  });

  it("counts one IPv6 /64 as one address", () => {
    const { l } = limiter();
    for (let i = 1; i <= 5; i++) l.recordFailure({ address: `2001:db8:1:2::${i}`, clientId: "cron" });
    assert.equal(l.check({ address: "2001:db8:1:2:ffff::9", clientId: "cron" })?.scope, "client-address");
    assert.equal(l.check({ address: "2001:db8:1:3::1", clientId: "cron" }), undefined, "another /64");
  });

  it("counts an IPv6 /64 as one address, and IPv4-mapped addresses as IPv4 (common/client-address.ts)", () => {
    const { l } = limiter({ perAddress: 2 });
    l.recordFailure({ address: "2001:db8:1:2::1", clientId: "a" });
    l.recordFailure({ address: "2001:db8:1:2:ffff::9", clientId: "b" });
    assert.equal(l.check({ address: "2001:db8:1:2:aaaa::1", clientId: "c" })?.scope, "address", "the same /64");
    assert.equal(l.check({ address: "2001:db8:1:3::1", clientId: "c" }), undefined, "another /64");
    l.recordFailure({ address: "::ffff:10.0.0.7", clientId: "a" });
    l.recordFailure({ address: "10.0.0.7", clientId: "b" });
    assert.equal(l.check({ address: "::ffff:a00:7", clientId: "c" })?.scope, "address", "one IPv4 caller however spelled");
  });
});
