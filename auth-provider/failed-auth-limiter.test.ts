/** Unit tests of the failed-authentication limiter with a frozen clock. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addressKey, createFailedAuthLimiter } from "./failed-auth-limiter.js";

function limiter(overrides: { perClient?: number; perAddress?: number; maxEntries?: number } = {}) {
  const clock = { now: 1_000_000 };
  const l = createFailedAuthLimiter({ perClient: 5, perAddress: 20, windowSeconds: 60, now: () => clock.now, ...overrides });
  return { l, clock };
}

describe("failed authentication limiter", () => {
  it("throttles a client id after 5 failures until 60 s after the first, then forgets", () => {
    const { l, clock } = limiter();
    const attempt = { address: "10.0.0.1", clientId: "cron" };
    for (let i = 1; i <= 4; i++) {
      assert.equal(l.recordFailure(attempt), undefined);
      clock.now += 1000;
    }
    assert.equal(l.check(attempt), undefined, "4 failures are fine");
    assert.deepEqual(l.recordFailure(attempt), { scope: "client", retryAfterSeconds: 56 });
    assert.deepEqual(l.check(attempt), { scope: "client", retryAfterSeconds: 56 });
    assert.deepEqual(l.check({ address: "10.9.9.9", clientId: "cron" }), { scope: "client", retryAfterSeconds: 56 }, "from any address");
    assert.equal(l.check({ address: "10.0.0.1", clientId: "other" }), undefined, "other clients from that address are fine");
    clock.now += 55_500;
    assert.deepEqual(l.check(attempt), { scope: "client", retryAfterSeconds: 1 });
    clock.now += 500;
    assert.equal(l.check(attempt), undefined, "the window is over");
    assert.equal(l.recordFailure(attempt), undefined, "a new window starts at one failure");
  });

  it("throttles an address after 20 failures whatever the client ids", () => {
    const { l } = limiter();
    for (let i = 0; i < 19; i++) l.recordFailure({ address: "10.0.0.2", clientId: `random-${i}` });
    assert.equal(l.check({ address: "10.0.0.2" }), undefined);
    assert.deepEqual(l.recordFailure({ address: "10.0.0.2" }), { scope: "address", retryAfterSeconds: 60 });
    assert.equal(l.check({ address: "10.0.0.2", clientId: "assistant" })?.scope, "address");
    assert.equal(l.check({ address: "10.0.0.3", clientId: "assistant" }), undefined);
  });

  it("stays within maxEntries however many client ids are tried, dropping the least recent", () => {
    const { l } = limiter({ maxEntries: 100, perAddress: 0 });
    for (let i = 0; i < 5; i++) l.recordFailure({ address: "a", clientId: "target" });
    for (let i = 0; i < 10_000; i++) l.recordFailure({ address: "a", clientId: `random-${i}` });
    assert.equal(l.size, 100);
    assert.equal(l.check({ address: "a", clientId: "target" }), undefined, "evicted");
    assert.equal(l.check({ address: "a", clientId: "random-9999" }), undefined, "one failure is not a throttle");
  });

  it("ignores over-long client ids and can be turned off", () => {
    const { l } = limiter({ perAddress: 0 });
    for (let i = 0; i < 10; i++) l.recordFailure({ address: "a", clientId: "x".repeat(129) });
    assert.equal(l.size, 0);
    const off = limiter({ perClient: 0, perAddress: 0 }).l;
    for (let i = 0; i < 100; i++) off.recordFailure({ address: "a", clientId: "c" });
    assert.equal(off.check({ address: "a", clientId: "c" }), undefined);
    assert.equal(off.size, 0);
  });

  it("counts IPv6 callers per /64 and IPv4-mapped addresses as IPv4", () => {
    const cases: [string | undefined, string][] = [
      ["127.0.0.1", "127.0.0.1"],
      ["::ffff:127.0.0.1", "127.0.0.1"],
      ["::1", "0:0:0:0::/64"],
      ["2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"],
      ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
      ["2001:db8::1", "2001:db8:0:0::/64"],
      ["fe80::1%eth0", "fe80:0:0:0::/64"],
      [undefined, "unknown"],
    ];
    for (const [address, key] of cases) assert.equal(addressKey(address), key, String(address));
  });
});
