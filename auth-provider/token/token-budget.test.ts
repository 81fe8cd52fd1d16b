/** Unit tests of the token budget's answer at the token endpoint. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClientRecord } from "../clients/client-record.js";
import type { TokenBudget } from "../storage/auth-store.js";
import { OAuthError } from "./oauth-error.js";
import { takeFromTokenBudget } from "./token-budget.js";

const client = (maxTokensPerMinute: number | undefined) => ({ clientId: "cron", maxTokensPerMinute }) as ClientRecord;

describe("takeFromTokenBudget", () => {
  it("leaves a client without a budget alone", async () => {
    const budget: TokenBudget = { take: () => assert.fail("asked") };
    await takeFromTokenBudget(budget, client(undefined));
  });

  it("passes while the budget lasts", async () => {
    const asked: unknown[] = [];
    const budget: TokenBudget = { take: async (...args) => (asked.push(args), { ok: true }) };
    await takeFromTokenBudget(budget, client(5), () => 1234);
    assert.deepEqual(asked, [["cron", 5, 1234]]);
  });

  it("answers slow_down with Retry-After and a description naming the budget", async () => {
    const budget: TokenBudget = { take: async () => ({ ok: false, retryAfterSeconds: 12 }) };
    await assert.rejects(takeFromTokenBudget(budget, client(5)), (err: unknown) => {
      assert.ok(err instanceof OAuthError);
      assert.equal(err.code, "slow_down");
      assert.equal(err.status, 429);
      assert.equal(err.retryAfterSeconds, 12);
      assert.equal(
        err.description,
        "this client may get 5 tokens per minute; retry after 12 seconds, and cache tokens until they expire instead of asking for one per call",
      );
      return true;
    });
  });
});
