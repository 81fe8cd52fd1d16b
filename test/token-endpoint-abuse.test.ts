/**
 * Abuse of the token endpoint, against the real auth provider with the
 * default limits (5 failures per client id and address, 20 per address) and a 2 s window:
 * repeated wrong secrets are answered 429 slow_down with Retry-After, the
 * right secret too while throttled, and it works again once Retry-After has
 * passed; oversized and malformed bodies get 400 and count for nothing. Plus
 * a unit check that secrets of unknown clients take the same HMAC and
 * constant-time comparison as those of known ones.
 */
import assert from "node:assert/strict";
import crypto, { randomBytes } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { after, before, describe, it, mock } from "node:test";
import Database from "better-sqlite3";
import {
  basicAuthorization,
  requestToken,
  startAuthProvider,
  type AuthProviderUnderTest,
  type TokenAnswer,
} from "./support/auth-provider.js";
import { createClientStore, generateClientSecret } from "../auth-provider/clients/client-store.js";

const fields = { grant_type: "client_credentials", audience: "calendar-service", scope: "calendar.read" };
let provider: AuthProviderUnderTest;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tokenAs = (clientId: string, secret: string, body: Parameters<typeof requestToken>[1] = { form: fields }) =>
  requestToken(provider.server.url, body, { authorization: basicAuthorization(clientId, secret) });
const wrong = () => generateClientSecret();

function assertSlowDown(answer: TokenAnswer, who: RegExp): number {
  assert.equal(answer.status, 429, answer.text);
  assert.equal(answer.json?.["error"], "slow_down");
  assert.match(String(answer.json?.["error_description"]), /^too many failed client authentications .+; retry after \d+ seconds$/);
  assert.match(String(answer.json?.["error_description"]), who);
  assert.equal(answer.headers.get("cache-control"), "no-store");
  const retryAfter = Number(answer.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
  return retryAfter;
}

before(async () => {
  const client = { grants: [{ audience: "calendar-service", scopes: ["calendar.read"] }], grantTypes: ["client_credentials"] };
  provider = await startAuthProvider([{ ...client, clientId: "victim" }, { ...client, clientId: "bystander" }], {
    AUTH_FAILED_AUTH_WINDOW_SECONDS: "2",
  });
});
after(async () => {
  assert.equal(await provider?.close(), 0);
});

describe("token endpoint abuse", () => {
  it("slows down wrong secrets for one client: 429 after 5, until Retry-After, then the right secret works", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await tokenAs("victim", wrong())).status, 401);
    const refused = await tokenAs("victim", provider.secrets["victim"]!);
    const retryAfter = assertSlowDown(refused, /for this client from this address/);
    assert.equal((await tokenAs("bystander", provider.secrets["bystander"]!)).status, 200, "other clients are not affected");
    await sleep(retryAfter * 1000);
    assert.equal((await tokenAs("victim", provider.secrets["victim"]!)).status, 200, "works again after Retry-After");
  });

  it("slows down one address after 20 failures, whatever the client ids, before reading the body", async () => {
    for (let i = 0; i < 20; i++) assert.equal((await tokenAs(`guess-${randomBytes(4).toString("hex")}`, wrong())).status, 401);
    const retryAfter = assertSlowDown(await tokenAs("assistant", provider.secrets["assistant"]!), /from this address/);
    const huge = await tokenAs("assistant", provider.secrets["assistant"]!, { form: { ...fields, pad: "x".repeat(1 << 20) } });
    assertSlowDown(huge, /from this address/);
    await sleep(retryAfter * 1000);
    assert.equal((await tokenAs("assistant", provider.secrets["assistant"]!)).status, 200);
  });

  const badBodies: [string, Parameters<typeof requestToken>[1], RegExp][] = [
    ["a body over 16 kB", { form: { ...fields, pad: "x".repeat(17 * 1024) } }, /larger than 16kb/],
    ["a JSON body over 16 kB", { json: { ...fields, pad: "x".repeat(17 * 1024) } }, /larger than 16kb/],
    ["malformed JSON", { raw: '{"grant_type":', contentType: "application/json" }, /not valid JSON/],
    ["a JSON array", { json: [fields] }, /must be an object/],
    ["a repeated parameter", { form: "grant_type=client_credentials&grant_type=client_credentials" }, /repeated/],
    ["a wrong content type", { raw: "grant_type=client_credentials", contentType: "text/plain" }, /content type/],
    ["no body", { raw: "" }, /content type|needs a body/],
  ];
  for (const [name, body, description] of badBodies) {
    it(`answers 400 invalid_request to ${name}`, async () => {
      const answer = await tokenAs("victim", wrong(), body);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.json?.["error"], "invalid_request");
      assert.match(String(answer.json?.["error_description"]), description);
    });
  }

  it("does not count bad bodies as failed authentication", async () => {
    for (let i = 0; i < 25; i++) assert.equal((await tokenAs("victim", wrong(), { raw: "{", contentType: "application/json" })).status, 400);
    assert.equal((await tokenAs("victim", provider.secrets["victim"]!)).status, 200);
  });

  it("logs each throttle once as a warning, without secrets", async () => {
    const warnings = provider.server.logs().filter((l) => l["msg"] === "too many failed client authentications; refusing for a while");
    assert.deepEqual(warnings.map((w) => w["limit"]).sort(), ["address", "client-address"]);
    assert.equal(warnings.find((w) => w["limit"] === "client-address")!["client_id"], "victim");
    const all = provider.server.output.join("\n");
    for (const secret of Object.values(provider.secrets)) assert.ok(!all.includes(secret));
  });
});

describe("client secret comparison", () => {
  it("takes the same HMAC and constant-time comparisons for unknown, wrong, disabled and right secrets", () => {
    const store = createClientStore(new Database(":memory:"), randomBytes(32));
    const secret = generateClientSecret();
    const client = { grants: [{ audience: "a", scopes: ["s"] }], grantTypes: ["client_credentials"] };
    store.register({ ...client, clientId: "known", secret });
    store.register({ ...client, clientId: "off", secret });
    store.setDisabled("off", true);
    const hmac = mock.method(crypto, "createHmac");
    const compare = mock.method(crypto, "timingSafeEqual");
    syncBuiltinESMExports(); // let the store's named imports see the spies
    try {
      const cases: [string, string, boolean][] = [
        ["unknown", secret, false],
        ["known", wrong(), false],
        ["off", secret, false],
        ["known", secret, true],
      ];
      for (const [clientId, presented, ok] of cases) {
        hmac.mock.resetCalls();
        compare.mock.resetCalls();
        assert.equal(store.authenticate(clientId, presented) !== undefined, ok, clientId);
        assert.equal(hmac.mock.callCount(), 1, `${clientId}: one HMAC`);
        assert.equal(hmac.mock.calls[0]!.arguments[0], "sha256");
        // The current and the previous secret (of a rotation overlap) are both compared, whether or not there is one.
        assert.equal(compare.mock.callCount(), 2, `${clientId}: two constant-time comparisons`);
        for (const call of compare.mock.calls) {
          const [a, b] = call.arguments as [Buffer, Buffer];
          assert.deepEqual([a.length, b.length], [32, 32], `${clientId}: 32-byte hashes on both sides`);
        }
      }
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
  });
});
