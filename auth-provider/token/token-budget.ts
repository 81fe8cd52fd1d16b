/**
 * A client's token budget at the token endpoint (`--max-tokens-per-minute`):
 * a client that asks for a new token on every call instead of caching one is
 * slowed down before it loads the issuer and every service's verifier. Counted
 * across replicas by the store; only granted requests count, so a refused
 * request never spends the budget.
 */
import type { ClientRecord } from "../clients/client-record.js";
import type { TokenBudget } from "../storage/auth-store.js";
import { OAuthError } from "./oauth-error.js";

/**
 * Takes one token from the client's budget; a client without a budget passes untouched.
 * @throws OAuthError slow_down (429 with Retry-After) when the budget of the current minute is spent; the store's
 *   error when it cannot answer.
 */
export async function takeFromTokenBudget(budget: TokenBudget, client: ClientRecord, now: () => number = Date.now): Promise<void> {
  const perMinute = client.maxTokensPerMinute;
  if (perMinute === undefined) return;
  const taken = await budget.take(client.clientId, perMinute, now());
  if (taken.ok) return;
  const wait = Math.max(1, Math.ceil(taken.retryAfterSeconds));
  throw new OAuthError(
    "slow_down",
    `this client may get ${perMinute} ${perMinute === 1 ? "token" : "tokens"} per minute; retry after ${wait} ` +
      `${wait === 1 ? "second" : "seconds"}, and cache tokens until they expire instead of asking for one per call`,
    { retryAfterSeconds: wait, throttledBy: "budget" },
  );
}
