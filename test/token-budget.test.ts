/**
 * The token budget (issue 14 §5) against the real processes: a client with
 * `--max-tokens-per-minute N` that asks for a token per call instead of
 * caching one is answered 429 slow_down with Retry-After and a description
 * naming its budget (not the failed-login wording), while other clients go
 * on; refused requests (a scope not granted) spend nothing. The assistant,
 * which caches its tokens, runs many commands under a small budget and is
 * never slowed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { authAdmin, tokenRequest, type ClientAuth } from "./support/oauth-client.js";
import { cliEnv, runCli } from "./support/cli.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
const secrets: Record<string, string> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const basic = (clientId: string): ClientAuth => ({ basic: { clientId, secret: secrets[clientId]! } });
const env = () => ({ DATA_DIR: system.dataDir });

// The budget counts per minute on the clock: start a run of requests early in a minute, so it does not straddle two.
async function earlyInAMinute(secondsNeeded: number): Promise<void> {
  const intoMinute = (Date.now() % 60_000) / 1000;
  if (intoMinute > 60 - secondsNeeded) await sleep((60 - intoMinute) * 1000 + 100);
}

before(async () => {
  system = await startSystem();
  for (const [clientId, budget] of [["hasty", "3"], ["bystander", "3"]] as const) {
    const added = await authAdmin(env(), "client", "add", clientId, "--grant", "note-service:note.read", "--max-tokens-per-minute", budget);
    secrets[clientId] = String(added["clientSecret"]);
  }
});

after(() => system?.stop());

describe("token budget", () => {
  it("slows a client that asks for a token on every call: 429 slow_down with Retry-After, naming the budget", async () => {
    await earlyInAMinute(15);
    // Refused requests spend nothing.
    const refused = await tokenRequest(system.auth.url, basic("hasty"), "note-service", "note.write");
    assert.equal(refused.json?.["error"], "invalid_scope", refused.text);
    for (let call = 1; call <= 3; call++) {
      const answer = await tokenRequest(system.auth.url, basic("hasty"));
      assert.equal(answer.status, 200, `call ${call}: ${answer.text}`);
    }
    const slowed = await tokenRequest(system.auth.url, basic("hasty"));
    assert.equal(slowed.status, 429, slowed.text);
    assert.equal(slowed.json?.["error"], "slow_down");
    assert.equal(slowed.headers.get("cache-control"), "no-store");
    const retryAfter = Number(slowed.headers.get("retry-after"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(
      slowed.json?.["error_description"],
      `this client may get 3 tokens per minute; retry after ${retryAfter} seconds, and cache tokens until they expire instead of asking for one per call`,
    );
    assert.doesNotMatch(String(slowed.json?.["error_description"]), /failed client authentications/);
    // Another client's budget is its own.
    assert.equal((await tokenRequest(system.auth.url, basic("bystander"))).status, 200);
    const logged = system.auth.logs().filter((l) => l["msg"] === "request" && l["status"] === 429);
    assert.ok(logged.some((l) => l["client_id"] === "hasty" && l["error"] === "slow_down"), "the request log names the client");
  });

  it("does not slow the assistant, which caches its tokens, under a budget of 2 per minute", async () => {
    await authAdmin(env(), "client", "update", "assistant", "--max-tokens-per-minute", "2");
    await earlyInAMinute(30);
    const cli = cliEnv(system); // one token cache for every run, as on a user's machine
    for (let run = 1; run <= 5; run++) {
      for (const args of [["note", "list"], ["calendar", "list"]]) {
        const result = await runCli(args, cli);
        assert.equal(result.code, 0, `run ${run}, assistant ${args.join(" ")}: ${result.stderr}`);
      }
    }
    // A caller with the assistant's credentials and no cache has nothing left this minute.
    const uncached = await tokenRequest(system.auth.url, { basic: { clientId: "assistant", secret: system.credentials.clientSecret } });
    assert.equal(uncached.status, 429, uncached.text);
    assert.match(String(uncached.json?.["error_description"]), /^this client may get 2 tokens per minute/);
  });
});
