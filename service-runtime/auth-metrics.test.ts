/** The token guard's metrics, fed through the callbacks the interceptor, key source and revocation follower call. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { AccessTokenError, type AccessTokenFailureReason } from "../interceptor/access-token-error.js";
import { AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { createAuthMetrics, refusalReasonLabel } from "./auth-metrics.js";

async function sample(registry: Registry, series: string): Promise<string | undefined> {
  const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(`${series} `));
  return line?.slice(series.length + 1);
}

test("the reason label is the AuthFailureReason name without its prefix", () => {
  const reasons: AccessTokenFailureReason[] = ["token_expired", "wrong_audience", "insufficient_scope", "token_revoked", "invalid_dpop_proof", "keys_unavailable"];
  for (const reason of reasons) {
    const label = refusalReasonLabel(reason);
    assert.equal(typeof AuthFailureReason[label as keyof typeof AuthFailureReason], "number", `${label} is an AuthFailureReason`);
  }
  assert.equal(refusalReasonLabel("token_expired"), "TOKEN_EXPIRED");
});

test("refusals by method and reason; cache hits and misses; fetches by outcome", async () => {
  const registry = new Registry();
  const metrics = createAuthMetrics(registry, { revocationListFetchedAt: () => undefined });
  metrics.refused(new AccessTokenError("token_expired", "expired"), "m2m.notes.v1.NoteService/ListNotes");
  metrics.refused(new AccessTokenError("token_expired", "expired"), "m2m.notes.v1.NoteService/ListNotes");
  metrics.refused(new AccessTokenError("insufficient_scope", "scope"), "m2m.notes.v1.NoteService/CreateNote");
  metrics.cacheLookup(true);
  metrics.cacheLookup(true);
  metrics.cacheLookup(false);
  metrics.jwksFetched(false);
  metrics.revocationListFetched("ok");
  metrics.revocationListFetched("not_modified");
  metrics.revocationListFetched("not_modified");
  assert.equal(await sample(registry, 'm2m_auth_refused_calls_total{grpc_service="m2m.notes.v1.NoteService",grpc_method="ListNotes",reason="TOKEN_EXPIRED"}'), "2");
  assert.equal(await sample(registry, 'm2m_auth_refused_calls_total{grpc_service="m2m.notes.v1.NoteService",grpc_method="CreateNote",reason="INSUFFICIENT_SCOPE"}'), "1");
  assert.equal(await sample(registry, 'm2m_auth_token_cache_lookups_total{result="hit"}'), "2");
  assert.equal(await sample(registry, 'm2m_auth_token_cache_lookups_total{result="miss"}'), "1");
  assert.equal(await sample(registry, 'm2m_auth_jwks_fetches_total{outcome="error"}'), "1");
  assert.equal(await sample(registry, 'm2m_auth_revocation_list_fetches_total{outcome="not_modified"}'), "2");
  assert.equal(await sample(registry, "m2m_auth_jwks_age_seconds"), "Nan", "no key set fetched yet");
  assert.equal(await sample(registry, "m2m_auth_revocation_list_age_seconds"), "Nan");
});

test("the ages count from the last successful fetch", async () => {
  const registry = new Registry();
  let now = 1_000_000;
  const metrics = createAuthMetrics(registry, { revocationListFetchedAt: () => new Date(997_500), now: () => now });
  metrics.jwksFetched(true);
  now += 4_000;
  metrics.jwksFetched(false);
  assert.equal(await sample(registry, "m2m_auth_jwks_age_seconds"), "4");
  assert.equal(await sample(registry, "m2m_auth_revocation_list_age_seconds"), "6.5");
});
