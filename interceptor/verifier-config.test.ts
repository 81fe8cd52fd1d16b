/**
 * The services' verification settings: defaults, the plain-HTTP rule for the JWKS and revocation list URLs (given
 * or derived), and the revocation list's polling and staleness settings.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../common/env.js";
import { loadVerifierConfig } from "./verifier-config.js";

const load = (env: Record<string, string>) => loadVerifierConfig(env, "CALENDAR_AUDIENCE", "calendar-service");
const refusedFor = (pattern: RegExp) => (err: unknown) => err instanceof ConfigError && err.setting === "AUTH_JWKS_URL" && pattern.test(err.message) && !err.message.includes("\n");

describe("loadVerifierConfig", () => {
  test("the defaults: the JWKS and revocation list URLs follow the issuer, on this machine; the list is polled every 2 s and served on however old", () => {
    assert.deepEqual(load({}), {
      issuer: "http://localhost:3001/auth",
      jwksUrl: "http://localhost:3001/auth/jwt/jwks.json",
      audience: "calendar-service",
      revocationsUrl: "http://localhost:3001/auth/oauth/revocations",
      revocationPollMs: 2000,
      revocationMaxStalenessSeconds: undefined,
      dpopProofMaxAgeSeconds: 60,
    });
    assert.equal(load({ AUTH_ISSUER: "https://auth.example/auth/" }).revocationsUrl, "https://auth.example/auth/oauth/revocations");
  });

  test("http to loopback and https anywhere are accepted", () => {
    for (const jwks of ["http://127.0.0.1:3001/auth/jwt/jwks.json", "http://[::1]:3001/keys", "https://auth.example/auth/jwt/jwks.json"]) {
      assert.equal(load({ AUTH_JWKS_URL: jwks }).jwksUrl, jwks);
    }
  });

  test("AUTH_JWKS_URL over http to another host stops start-up, naming the variable and saying why", () => {
    assert.throws(() => load({ AUTH_JWKS_URL: "http://example.invalid/jwks.json" }), refusedFor(/^AUTH_JWKS_URL: "http:\/\/example\.invalid\/jwks\.json" is plain HTTP to example\.invalid.*forge tokens \(RFC 6750 §5\.3\); use https:\/\/, or set AUTH_ALLOW_INSECURE_HTTP=1/));
    assert.throws(() => load({ AUTH_JWKS_URL: "http://localhost.evil.example/jwks.json" }), refusedFor(/not this machine/));
  });

  test("the JWKS URL derived from an http issuer on another host is refused too, saying where it came from", () => {
    assert.throws(() => load({ AUTH_ISSUER: "http://auth.example/auth" }), refusedFor(/"http:\/\/auth\.example\/auth\/jwt\/jwks\.json" \(derived from AUTH_ISSUER\) is plain HTTP/));
  });

  test("AUTH_ALLOW_INSECURE_HTTP=1 allows it; another value of the switch is a ConfigError naming it", () => {
    assert.equal(load({ AUTH_JWKS_URL: "http://example.invalid/jwks.json", AUTH_ALLOW_INSECURE_HTTP: "1" }).jwksUrl, "http://example.invalid/jwks.json");
    assert.throws(
      () => load({ AUTH_JWKS_URL: "http://example.invalid/jwks.json", AUTH_ALLOW_INSECURE_HTTP: "yes" }),
      (err: unknown) => err instanceof ConfigError && err.setting === "AUTH_ALLOW_INSECURE_HTTP",
    );
  });

  test("an http issuer on another host is fine when the URLs fetched from it are https (the issuer is only compared)", () => {
    const https = { AUTH_JWKS_URL: "https://auth.example/jwks.json", AUTH_REVOCATIONS_URL: "https://auth.example/revocations" };
    assert.equal(load({ AUTH_ISSUER: "http://auth.example/auth", ...https }).issuer, "http://auth.example/auth");
  });
});

describe("following the revocation list", () => {
  const refusedRevocations = (pattern: RegExp) => (err: unknown) =>
    err instanceof ConfigError && err.setting === "AUTH_REVOCATIONS_URL" && pattern.test(err.message) && !err.message.includes("\n");

  test("AUTH_REVOCATIONS_URL follows the JWKS URL's plain-HTTP rule, given or derived from AUTH_ISSUER", () => {
    assert.equal(load({ AUTH_REVOCATIONS_URL: "http://127.0.0.1:9/revocations" }).revocationsUrl, "http://127.0.0.1:9/revocations");
    assert.throws(() => load({ AUTH_REVOCATIONS_URL: "http://example.invalid/revocations" }), refusedRevocations(/is plain HTTP to example\.invalid.*hide revocations.*AUTH_ALLOW_INSECURE_HTTP=1/));
    assert.throws(
      () => load({ AUTH_ISSUER: "http://auth.example/auth", AUTH_JWKS_URL: "https://auth.example/jwks.json" }),
      refusedRevocations(/"http:\/\/auth\.example\/auth\/oauth\/revocations" \(derived from AUTH_ISSUER\) is plain HTTP/),
    );
    assert.equal(load({ AUTH_REVOCATIONS_URL: "http://example.invalid/revocations", AUTH_ALLOW_INSECURE_HTTP: "1" }).revocationsUrl, "http://example.invalid/revocations");
  });

  test("AUTH_REVOCATION_POLL_MS is at least 200; AUTH_REVOCATION_MAX_STALENESS_SECONDS a positive whole number", () => {
    assert.equal(load({ AUTH_REVOCATION_POLL_MS: "200" }).revocationPollMs, 200);
    assert.equal(load({ AUTH_REVOCATION_MAX_STALENESS_SECONDS: "60" }).revocationMaxStalenessSeconds, 60);
    for (const [setting, value] of [["AUTH_REVOCATION_POLL_MS", "199"], ["AUTH_REVOCATION_POLL_MS", "2s"], ["AUTH_REVOCATION_MAX_STALENESS_SECONDS", "0"], ["AUTH_REVOCATION_MAX_STALENESS_SECONDS", "-5"]] as const) {
      assert.throws(() => load({ [setting]: value }), (err: unknown) => err instanceof ConfigError && err.setting === setting, `${setting}=${value}`);
    }
  });
});

test("AUTH_DPOP_PROOF_MAX_AGE_SECONDS: 5 to 600 seconds", () => {
  assert.equal(load({ AUTH_DPOP_PROOF_MAX_AGE_SECONDS: "10" }).dpopProofMaxAgeSeconds, 10);
  for (const value of ["4", "601", "1m"]) {
    assert.throws(() => load({ AUTH_DPOP_PROOF_MAX_AGE_SECONDS: value }), (err: unknown) => err instanceof ConfigError && err.setting === "AUTH_DPOP_PROOF_MAX_AGE_SECONDS", value);
  }
});
