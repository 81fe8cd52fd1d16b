/** Discovery as the assistant reads it: the fields it uses, one fetch per answer, a failure not remembered. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FetchLike } from "../common/fetch-trusting-ca.js";
import { authProviderMetadata, parseMetadata } from "./auth-provider-metadata.js";

/** A fetch that answers from `answers` in turn (an Error rejects), counting calls. */
function fakeFetch(answers: (Response | Error)[]): FetchLike & { calls: number } {
  const f = Object.assign(
    async () => {
      const answer = answers[Math.min(f.calls++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    { calls: 0 },
  );
  return f;
}

const document = (body: unknown) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

test("the issuer and the DPoP algorithms are read; fields of the wrong type are left out", () => {
  assert.deepEqual(parseMetadata({ issuer: "http://localhost:3001/auth", dpop_signing_alg_values_supported: ["ES256", 7, "EdDSA"] }), {
    issuer: "http://localhost:3001/auth",
    dpopSigningAlgorithms: ["ES256", "EdDSA"],
  });
  assert.deepEqual(parseMetadata({ issuer: 1, dpop_signing_alg_values_supported: "ES256" }), { dpopSigningAlgorithms: [] });
  assert.deepEqual(parseMetadata(null), { dpopSigningAlgorithms: [] });
});

test("an answer is fetched once per auth URL", async () => {
  const get = fakeFetch([document({ dpop_signing_alg_values_supported: ["ES256"] })]);
  const url = "http://127.0.0.1:1/once";
  assert.deepEqual((await authProviderMetadata(url, get)).dpopSigningAlgorithms, ["ES256"]);
  await authProviderMetadata(url, get);
  assert.equal(get.calls, 1);
});

test("a 404 is an answer (no DPoP, remembered); a network failure or a 5xx is asked again next time", async () => {
  const missing = fakeFetch([new Response("", { status: 404 })]);
  await authProviderMetadata("http://127.0.0.1:1/missing", missing);
  await authProviderMetadata("http://127.0.0.1:1/missing", missing);
  assert.equal(missing.calls, 1);

  const flaky = fakeFetch([new TypeError("fetch failed"), new Response("", { status: 503 }), document({ dpop_signing_alg_values_supported: ["ES256"] })]);
  const url = "http://127.0.0.1:1/flaky";
  assert.deepEqual((await authProviderMetadata(url, flaky)).dpopSigningAlgorithms, []);
  assert.deepEqual((await authProviderMetadata(url, flaky)).dpopSigningAlgorithms, []);
  assert.deepEqual((await authProviderMetadata(url, flaky)).dpopSigningAlgorithms, ["ES256"]);
  await authProviderMetadata(url, flaky);
  assert.equal(flaky.calls, 3);
});
