/** Unit tests of the published revocation list: one store read per second, ETag from the marker, last content kept. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRevocationList } from "../../common/revocation-list.js";
import type { RevocationSnapshot } from "../storage/auth-store.js";
import { createPublishedRevocationList } from "./published-revocation-list.js";
import { matchesIfNoneMatch } from "./revocation-list-route.js";

const issuer = "http://localhost:3001/auth";

function fakeStore(initial: RevocationSnapshot) {
  let snapshot = initial;
  let failing: Error | undefined;
  let reads = 0;
  return {
    revocations: {
      async snapshot() {
        reads++;
        if (failing) throw failing;
        return snapshot;
      },
    },
    set: (next: RevocationSnapshot) => (snapshot = next),
    fail: (err: Error | undefined) => (failing = err),
    reads: () => reads,
  };
}

const empty: RevocationSnapshot = { tokens: [], clients: [], marker: "m0" };
const oneToken: RevocationSnapshot = {
  tokens: [{ tokenId: "t1", clientId: "reporter", expiresAt: 2_000_000_000 }],
  clients: [{ clientId: "cron", tokensIssuedBefore: 1_900_000_000 }],
  marker: "m1",
};

describe("published revocation list", () => {
  it("renders the documented format", async () => {
    const store = fakeStore(oneToken);
    const list = await createPublishedRevocationList({ issuer, revocations: store.revocations, now: () => 1_900_000_000_500 }).current();
    assert.deepEqual(JSON.parse(list.body), {
      issuer,
      generated_at: 1_900_000_000,
      tokens: [{ jti: "t1", exp: 2_000_000_000 }],
      clients: [{ client_id: "cron", tokens_issued_before: 1_900_000_000 }],
    });
    const parsed = parseRevocationList(JSON.parse(list.body));
    assert.equal(parsed.tokens.get("t1"), 2_000_000_000);
    assert.match(list.etag, /^W\/"[A-Za-z0-9_-]+"$/);
  });

  it("reads the store at most once per second however many polls, and concurrent polls share one read", async () => {
    let now = 1_000_000;
    const store = fakeStore(empty);
    const source = createPublishedRevocationList({ issuer, revocations: store.revocations, now: () => now });
    await Promise.all([source.current(), source.current(), source.current()]);
    assert.equal(store.reads(), 1);
    now += 999;
    await source.current();
    assert.equal(store.reads(), 1);
    now += 1;
    await source.current();
    assert.equal(store.reads(), 2);
  });

  it("keeps the ETag and body while the marker stays, and changes both when it moves", async () => {
    let now = 1_000_000;
    const store = fakeStore(empty);
    const source = createPublishedRevocationList({ issuer, revocations: store.revocations, now: () => now });
    const first = await source.current();
    now += 5000;
    assert.deepEqual(await source.current(), first);
    store.set(oneToken);
    now += 1000;
    const second = await source.current();
    assert.notEqual(second.etag, first.etag);
    assert.notEqual(second.body, first.body);
  });

  it("serves the last known list while the store fails, says so once, and recovers", async () => {
    let now = 1_000_000;
    const events: string[] = [];
    const store = fakeStore(oneToken);
    const source = createPublishedRevocationList({
      issuer,
      revocations: store.revocations,
      now: () => now,
      onStale: () => events.push("stale"),
      onRecovered: () => events.push("recovered"),
    });
    const known = await source.current();
    store.fail(new Error("connection refused"));
    for (let i = 0; i < 3; i++) {
      now += 1000;
      assert.deepEqual(await source.current(), known);
    }
    assert.deepEqual(events, ["stale"]);
    store.fail(undefined);
    now += 1000;
    await source.current();
    assert.deepEqual(events, ["stale", "recovered"]);
  });

  it("fails when the store has never been read", async () => {
    const store = fakeStore(empty);
    store.fail(new Error("connection refused"));
    await assert.rejects(createPublishedRevocationList({ issuer, revocations: store.revocations }).current(), /connection refused/);
  });

  it("does not keep a poll waiting for a slow read when it has content", async () => {
    let now = 1_000_000;
    let release: () => void = () => {};
    let slow = false;
    const revocations = {
      snapshot: () =>
        slow ? new Promise<RevocationSnapshot>((resolve) => (release = () => resolve(oneToken))) : Promise.resolve(empty),
    };
    const source = createPublishedRevocationList({ issuer, revocations, now: () => now, staleAfterMs: 20 });
    const known = await source.current();
    slow = true;
    now += 1000;
    assert.deepEqual(await source.current(), known, "the last known list after staleAfterMs");
    release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.notEqual((await source.current()).etag, known.etag, "the read that finished later is served next");
  });
});

describe("matchesIfNoneMatch", () => {
  it("compares weakly and understands lists and *", () => {
    assert.equal(matchesIfNoneMatch(undefined, 'W/"a"'), false);
    assert.equal(matchesIfNoneMatch('W/"a"', 'W/"a"'), true);
    assert.equal(matchesIfNoneMatch('"a"', 'W/"a"'), true);
    assert.equal(matchesIfNoneMatch('"b", W/"a"', 'W/"a"'), true);
    assert.equal(matchesIfNoneMatch("*", 'W/"a"'), true);
    assert.equal(matchesIfNoneMatch('W/"b"', 'W/"a"'), false);
  });
});
