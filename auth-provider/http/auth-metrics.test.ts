/**
 * Unit tests of the auth provider's metrics: label values are bounded (client_id only for an authenticated client,
 * audience only when granted), keys are counted by state, and the endpoint observer moves the right series for
 * each kind of answer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import type { EndpointAnswer } from "../token/endpoint-answer.js";
import { createAuthMetrics, issuerKeyCounts, tokenRequestLabels } from "./auth-metrics.js";
import { createEndpointObserver } from "./endpoint-observer.js";

const answer = (fields: Partial<EndpointAnswer>): EndpointAnswer => ({
  path: "/oauth/token",
  outcome: "ok",
  clientId: undefined,
  claimedClientId: undefined,
  address: "127.0.0.1",
  durationSeconds: 0.002,
  throttledBy: undefined,
  details: {},
  ...fields,
});

async function observed(...answers: EndpointAnswer[]): Promise<string> {
  const registry = new Registry();
  const metrics = createAuthMetrics(registry);
  const observer = createEndpointObserver({ metrics });
  for (const a of answers) observer.answered(a);
  return registry.metrics();
}

describe("token request labels", () => {
  const cases: [string, Parameters<typeof tokenRequestLabels>, ReturnType<typeof tokenRequestLabels>][] = [
    ["issued to a client for a granted audience", ["issued", "cron", "note-service"], { client_id: "cron", audience: "note-service", outcome: "issued" }],
    ["refused before authentication", ["invalid_client", undefined, undefined], { client_id: "", audience: "", outcome: "invalid_client" }],
    ["an audience without a client is dropped", ["invalid_client", undefined, "note-service"], { client_id: "", audience: "", outcome: "invalid_client" }],
    ["an audience not granted", ["invalid_target", "cron", undefined], { client_id: "cron", audience: "", outcome: "invalid_target" }],
  ];
  for (const [name, args, expected] of cases) it(name, () => assert.deepEqual(tokenRequestLabels(...args), expected));
});

describe("issuer key counts", () => {
  it("counts published, active and retiring keys; retired ones are not published", () => {
    assert.deepEqual(issuerKeyCounts(["retiring", "signing", "next", "retired"]), { published: 3, active: 1, retiring: 1 });
    assert.deepEqual(issuerKeyCounts([]), { published: 0, active: 0, retiring: 0 });
  });

  it("reports the keys at scrape time", async () => {
    const registry = new Registry();
    const metrics = createAuthMetrics(registry);
    let states: ("signing" | "next" | "retiring")[] = ["signing"];
    metrics.watchKeys(() => states);
    assert.match(await registry.metrics(), /m2m_issuer_keys\{state="published"\} 1\n/);
    states = ["retiring", "signing", "next"];
    const text = await registry.metrics();
    assert.match(text, /m2m_issuer_keys\{state="published"\} 3\n/);
    assert.match(text, /m2m_issuer_keys\{state="active"\} 1\n/);
    assert.match(text, /m2m_issuer_keys\{state="retiring"\} 1\n/);
  });
});

describe("endpoint observer", () => {
  it("counts an issued token by client and audience, with its duration", async () => {
    const text = await observed(answer({ clientId: "cron", details: { audience: "note-service", jti: "j1" } }));
    assert.match(text, /m2m_oauth_token_requests_total\{client_id="cron",audience="note-service",outcome="issued"\} 1\n/);
    assert.match(text, /m2m_oauth_token_request_duration_seconds_count\{outcome="issued"\} 1\n/);
  });

  it("never labels with the client id a caller only claimed", async () => {
    const text = await observed(answer({ outcome: "invalid_client", claimedClientId: "made-up-name" }));
    assert.match(text, /m2m_oauth_token_requests_total\{client_id="",audience="",outcome="invalid_client"\} 1\n/);
    assert.doesNotMatch(text, /made-up-name/);
  });

  it("counts slow_down by limit on every endpoint, and the token refusal", async () => {
    const text = await observed(
      answer({ outcome: "slow_down", throttledBy: "client-address" }),
      answer({ outcome: "slow_down", throttledBy: "budget", clientId: "cron", details: { audience: "note-service" } }),
      answer({ path: "/oauth/introspect", outcome: "slow_down", throttledBy: "address" }),
    );
    assert.match(text, /m2m_oauth_throttled_requests_total\{limit="client-address"\} 1\n/);
    assert.match(text, /m2m_oauth_throttled_requests_total\{limit="budget"\} 1\n/);
    assert.match(text, /m2m_oauth_throttled_requests_total\{limit="address"\} 1\n/);
    assert.match(text, /m2m_oauth_token_requests_total\{client_id="cron",audience="note-service",outcome="slow_down"\} 1\n/);
  });

  it("counts revocations and introspections", async () => {
    const text = await observed(
      answer({ path: "/oauth/revoke", clientId: "cron", details: { jti: "j1", exp: 1 } }),
      answer({ path: "/oauth/revoke", clientId: "cron" }), // an unknown token: nothing revoked
      answer({ path: "/oauth/introspect", clientId: "cron", details: { active: true } }),
      answer({ path: "/oauth/introspect", clientId: "cron", details: { active: false } }),
    );
    assert.match(text, /m2m_oauth_revocations_total\{kind="token"\} 1\n/);
    assert.match(text, /m2m_oauth_revocations_total\{kind="client"\} 0\n/);
    assert.match(text, /m2m_oauth_introspections_total\{active="true"\} 1\n/);
    assert.match(text, /m2m_oauth_introspections_total\{active="false"\} 1\n/);
    assert.doesNotMatch(text, /m2m_oauth_token_requests_total\{/);
  });
});
