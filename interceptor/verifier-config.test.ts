/** The services' verification settings: defaults, and the plain-HTTP rule for the JWKS URL (given or derived). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../common/env.js";
import { loadVerifierConfig } from "./verifier-config.js";

const load = (env: Record<string, string>) => loadVerifierConfig(env, "CALENDAR_AUDIENCE", "calendar-service");
const refusedFor = (pattern: RegExp) => (err: unknown) => err instanceof ConfigError && err.setting === "AUTH_JWKS_URL" && pattern.test(err.message) && !err.message.includes("\n");

describe("loadVerifierConfig", () => {
  test("the defaults: the JWKS URL follows the issuer, on this machine", () => {
    assert.deepEqual(load({}), { issuer: "http://localhost:3001/auth", jwksUrl: "http://localhost:3001/auth/jwt/jwks.json", audience: "calendar-service" });
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

  test("an http issuer on another host is fine when the JWKS URL itself is https (the issuer is only compared)", () => {
    assert.equal(load({ AUTH_ISSUER: "http://auth.example/auth", AUTH_JWKS_URL: "https://auth.example/jwks.json" }).issuer, "http://auth.example/auth");
  });
});
