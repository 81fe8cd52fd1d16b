/**
 * The revocation list follower against a list served over real HTTP on
 * loopback, with a clock the test moves: ETag revalidation, the last good list
 * kept through failures, both stale policies, an issuer that publishes no list,
 * size and content checks, and the poll loop.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { isRevokedBy, parseRevocationList } from "../common/revocation-list.js";
import { startProviderDocumentsServer, type ProviderDocumentsServer } from "../test/support/provider-documents-server.js";
import type { Principal } from "./principal.js";
import { createRevocationListFollower, type RevocationFollowEvent, type RevocationListFollowerOptions } from "./revocation-list-follower.js";

let server: ProviderDocumentsServer;
before(async () => {
  server = await startProviderDocumentsServer();
});
after(() => server.close());
beforeEach(() => {
  server.mode = "up";
  server.padding = undefined;
  server.claimedIssuer = undefined;
  server.revocations = { tokens: [{ jti: "revoked-1", exp: 2_000_000_000 }], clients: [] };
  server.revocationRequests.length = 0;
});

const principal = (overrides: Partial<Principal> = {}): Principal => ({
  clientId: "reporting",
  subject: "reporting",
  scopes: [],
  tokenId: "t-1",
  expiresAt: new Date(2_000_000_000_000),
  issuedAt: new Date(1_800_000_000_000),
  ...overrides,
});

function setUp(options: Partial<RevocationListFollowerOptions> = {}) {
  let clockMs = 1_800_000_000_000;
  const events: RevocationFollowEvent[] = [];
  const follower = createRevocationListFollower({
    url: server.revocationsUrl,
    issuer: server.issuer,
    now: () => clockMs,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { follower, events, advance: (seconds: number) => (clockMs += seconds * 1000) };
}

test("fetches the list, then revalidates it with its ETag: 304 while unchanged, 200 once it changes", async () => {
  const { follower, events } = setUp();
  assert.equal(follower.status().state, "stale", "nothing fetched yet");
  await follower.refresh();
  assert.equal(follower.isRevoked(principal({ tokenId: "revoked-1" })), true);
  assert.equal(follower.isRevoked(principal()), false);
  await follower.refresh();
  const [first, second] = server.revocationRequests;
  assert.deepEqual([first?.status, second?.status], [200, 304]);
  assert.equal(first?.ifNoneMatch, undefined);
  assert.match(second?.ifNoneMatch ?? "", /^".+"$/, "the ETag of the first answer is sent back");
  server.revocations.tokens.push({ jti: "t-1", exp: 2_000_000_000 });
  await follower.refresh();
  assert.equal(server.revocationRequests[2]?.status, 200);
  assert.equal(follower.isRevoked(principal()), true);
  assert.deepEqual(events, [
    { kind: "updated", tokens: 1, clients: 0, recovered: false },
    { kind: "updated", tokens: 2, clients: 0, recovered: false },
  ]);
  const status = follower.status();
  assert.equal(status.state, "fresh");
  assert.equal(status.error, undefined);
  assert.equal(status.tokens, 2);
});

test("a client-wide revocation revokes the client's tokens issued before its instant, and every one without iat", async () => {
  server.revocations.clients.push({ client_id: "reporting", tokens_issued_before: 1_800_000_000 });
  const { follower } = setUp();
  await follower.refresh();
  const list = parseRevocationList({ generated_at: 0, tokens: server.revocations.tokens, clients: server.revocations.clients });
  const cases: [string, Principal, boolean][] = [
    ["issued a second before", principal({ issuedAt: new Date(1_799_999_999_000) }), true],
    ["issued at the instant", principal({ issuedAt: new Date(1_800_000_000_000) }), false],
    ["without iat", principal({ issuedAt: undefined }), true],
    ["another client, without iat", principal({ clientId: "assistant", issuedAt: undefined }), false],
    ["another client's revoked jti", principal({ clientId: "assistant", tokenId: "revoked-1" }), true],
    ["no jti", principal({ clientId: "assistant", tokenId: "" }), false],
  ];
  for (const [name, p, revoked] of cases) {
    assert.equal(follower.isRevoked(p), revoked, name);
    // The same rule as the contract's isRevokedBy.
    assert.equal(isRevokedBy(list, { tokenId: p.tokenId, clientId: p.clientId, issuedAt: p.issuedAt && p.issuedAt.getTime() / 1000 }), revoked, name);
    assert.equal(follower.verdict(p), revoked ? "revoked" : "accepted", name);
  }
});

test("a failed fetch keeps the last good list; failures are reported at once, then at most every 30 s, and the recovery", async () => {
  const { follower, events, advance } = setUp();
  await follower.refresh();
  server.mode = "down";
  for (let i = 0; i < 40; i++) {
    await follower.refresh();
    advance(1);
  }
  assert.equal(follower.isRevoked(principal({ tokenId: "revoked-1" })), true, "the last good list stays in use");
  const status = follower.status();
  assert.equal(status.state, "stale");
  assert.equal(status.error, "HTTP 503");
  assert.equal(status.refusing, false, "no limit set: serve on");
  assert.equal(follower.verdict(principal()), "accepted");
  const failures = events.filter((e) => e.kind === "failing");
  assert.equal(failures.length, 2, "the first failure and one 30 s later");
  assert.deepEqual(failures[0], { kind: "failing", error: "HTTP 503", lastSuccessAt: status.lastSuccessAt, refusing: false });
  server.mode = "up";
  await follower.refresh();
  assert.deepEqual(events.at(-1), { kind: "recovered" }, "unchanged list: a 304");
  assert.equal(follower.status().state, "fresh");
});

describe("with AUTH_REVOCATION_MAX_STALENESS_SECONDS", () => {
  test("tokens are accepted until no fetch has succeeded for the limit, then every verdict is unavailable until one does", async () => {
    const { follower, events, advance } = setUp({ maxStalenessSeconds: 10 });
    await follower.refresh();
    server.mode = "down";
    advance(5);
    await follower.refresh();
    assert.equal(follower.verdict(principal()), "accepted");
    advance(6);
    assert.equal(follower.verdict(principal()), "unavailable");
    assert.equal(follower.verdict(principal({ tokenId: "revoked-1" })), "revoked", "known to be revoked: said so");
    assert.equal(follower.unavailableReason(), "the auth provider's revocation list was last fetched 11 s ago (the limit is 10 s): HTTP 503");
    assert.equal(follower.status().refusing, true);
    await follower.refresh();
    assert.deepEqual(
      events.filter((e) => e.kind === "failing").map((e) => e.kind === "failing" && e.refusing),
      [false, true],
      "the switch to refusing is reported at once",
    );
    server.mode = "up";
    await follower.refresh();
    assert.equal(follower.verdict(principal()), "accepted");
    assert.equal(follower.status().refusing, false);
  });

  test("counted from start when no fetch ever succeeded", async () => {
    server.mode = "down";
    const { follower, advance } = setUp({ maxStalenessSeconds: 10, pollIntervalMs: 3_600_000 });
    follower.start();
    await follower.refresh();
    advance(9);
    assert.equal(follower.verdict(principal()), "accepted");
    advance(2);
    assert.equal(follower.verdict(principal()), "unavailable");
    assert.match(follower.unavailableReason(), /^the auth provider's revocation list has not been fetched since the service started \(the limit is 10 s\): HTTP 503$/);
    follower.stop();
  });

  test("unset: the last list serves on however old it gets", async () => {
    const { follower, advance } = setUp();
    await follower.refresh();
    server.mode = "down";
    advance(7 * 24 * 3600);
    await follower.refresh();
    assert.equal(follower.verdict(principal()), "accepted");
    assert.equal(follower.status().refusing, false);
  });
});

test("a provider that publishes no list (404): reported once, polled every minute, nothing refused for it", async () => {
  server.mode = "unpublished";
  const { follower, events, advance } = setUp({ maxStalenessSeconds: 1, pollIntervalMs: 20 });
  follower.start();
  await new Promise((r) => setTimeout(r, 300));
  follower.stop();
  assert.equal(server.revocationRequests.length, 1, "not polled every 20 ms: every minute");
  await follower.refresh();
  advance(3600);
  assert.deepEqual(events, [{ kind: "unpublished" }]);
  assert.equal(follower.status().state, "unpublished");
  assert.equal(follower.verdict(principal()), "accepted");
  server.mode = "up";
  await follower.refresh();
  assert.equal(follower.status().state, "fresh", "published later: followed again");
  assert.equal(follower.isRevoked(principal({ tokenId: "revoked-1" })), true);
});

describe("a list that is refused keeps the last good one", () => {
  const refused: [string, () => void, Partial<RevocationListFollowerOptions>, RegExp][] = [
    ["larger than the cap (with Content-Length)", () => (server.padding = { bytes: 4096, chunked: false }), { maxBytes: 1024 }, /^the document is larger than 1024 bytes$/],
    ["larger than the cap (streamed, no Content-Length)", () => (server.padding = { bytes: 300_000, chunked: true }), { maxBytes: 100_000 }, /^the document is larger than 100000 bytes$/],
    ["the list of another issuer", () => (server.claimedIssuer = "http://elsewhere.example/auth"), {}, /^the list is of the issuer "http:\/\/elsewhere\.example\/auth", not of http:\/\/127\.0\.0\.1:\d+\/auth$/],
    ["malformed entries", () => server.revocations.tokens.push({ jti: 7 } as never), {}, /"tokens" entry needs a string "jti"/],
  ];
  for (const [name, spoil, options, message] of refused) {
    test(name, async () => {
      const { follower } = setUp(options);
      await follower.refresh();
      spoil();
      server.revocations.tokens.push({ jti: "t-1", exp: 2_000_000_000 });
      await follower.refresh();
      assert.match(follower.status().error ?? "", message);
      assert.equal(follower.isRevoked(principal({ tokenId: "revoked-1" })), true);
      assert.equal(follower.isRevoked(principal()), false, "the refused list was not taken");
    });
  }

  test("the default cap is 8 MiB", async () => {
    server.padding = { bytes: 8 * 1024 * 1024, chunked: true };
    const { follower } = setUp();
    await follower.refresh();
    assert.equal(follower.status().error, "the document is larger than 8388608 bytes");
  });
});

test("an unreachable provider is named as such", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const { follower } = setUp({ url: `http://127.0.0.1:${port}/auth/oauth/revocations` });
  await follower.refresh();
  assert.equal(follower.status().error, "connection refused");
});

test("start() fetches at once and polls until stop(); concurrent refreshes share one fetch", async () => {
  const { follower } = setUp({ pollIntervalMs: 30 });
  await Promise.all([follower.refresh(), follower.refresh(), follower.refresh()]);
  assert.equal(server.revocationRequests.length, 1);
  follower.start();
  await new Promise((r) => setTimeout(r, 400));
  follower.stop();
  const polled = server.revocationRequests.length;
  assert.ok(polled >= 5, `${polled} fetches in 400 ms at a 30 ms interval`);
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(server.revocationRequests.length <= polled + 1, "no polling after stop() (a fetch in flight may end)");
});
