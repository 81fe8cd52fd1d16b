/** Unit tests of the auth provider's configuration. */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../common/env.js";
import { loadAuthProviderConfig, resolveIssuer } from "./config.js";

describe("loadAuthProviderConfig", () => {
  it("has the documented defaults", () => {
    const { catalog, ...config } = loadAuthProviderConfig({});
    assert.deepEqual(catalog.audiences.map((a) => a.audience), ["calendar-service", "note-service"]);
    assert.deepEqual([...catalog.allScopes].sort(), ["calendar.read", "calendar.write", "note.read", "note.write"]);
    assert.deepEqual(config, {
      port: 3001,
      host: "localhost",
      dataDir: resolve("./data"),
      issuer: undefined,
      tokenTtlSeconds: 3600,
      supertokens: undefined,
      failedAuthLimits: { perClientAddress: 5, perAddress: 20, perClient: 100, windowSeconds: 60 },
      keyRotation: { activationDelaySeconds: 15, retireMarginSeconds: 60 },
    });
    assert.equal(resolveIssuer({ ...config, catalog }, 3001), "http://localhost:3001/auth");
  });

  it("reads every setting", () => {
    const config = loadAuthProviderConfig({
      AUTH_PORT: "0",
      AUTH_HOST: "127.0.0.1",
      DATA_DIR: "var/auth-data",
      AUTH_ISSUER: "https://auth.example/auth/",
      AUTH_TOKEN_TTL_SECONDS: "60",
      SUPERTOKENS_CONNECTION_URI: "http://127.0.0.1:3567/",
      SUPERTOKENS_API_KEY: "core-key",
      AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "3",
      AUTH_FAILED_AUTH_LIMIT_PER_CLIENT: "0",
      AUTH_FAILED_AUTH_LIMIT_PER_ADDRESS: "100",
      AUTH_FAILED_AUTH_WINDOW_SECONDS: "5",
      AUTH_KEY_ACTIVATION_DELAY_SECONDS: "300",
      AUTH_KEY_RETIRE_MARGIN_SECONDS: "0",
      NOTES_AUDIENCE: "notes",
      AUTH_EXTRA_AUDIENCES: "billing-service=billing.read",
    });
    const { catalog, ...rest } = config;
    assert.deepEqual(catalog.audiences.map((a) => [a.audience, a.source]), [
      ["billing-service", "configured"],
      ["calendar-service", "proto"],
      ["notes", "proto"],
    ]);
    assert.deepEqual(rest, {
      port: 0,
      host: "127.0.0.1",
      dataDir: resolve("var/auth-data"),
      issuer: "https://auth.example/auth",
      tokenTtlSeconds: 60,
      supertokens: { connectionUri: "http://127.0.0.1:3567", apiKey: "core-key" },
      failedAuthLimits: { perClientAddress: 3, perAddress: 100, perClient: 0, windowSeconds: 5 },
      keyRotation: { activationDelaySeconds: 300, retireMarginSeconds: 0 },
    });
    assert.equal(resolveIssuer(config, 4444), "https://auth.example/auth");
  });

  it("derives the default issuer from the bound port", () => {
    assert.equal(resolveIssuer(loadAuthProviderConfig({ AUTH_PORT: "0" }), 40123), "http://localhost:40123/auth");
  });

  const bad: [Record<string, string>, string][] = [
    [{ AUTH_PORT: "70000" }, "AUTH_PORT"],
    [{ AUTH_PORT: "-1" }, "AUTH_PORT"],
    [{ AUTH_TOKEN_TTL_SECONDS: "59" }, "AUTH_TOKEN_TTL_SECONDS"],
    [{ AUTH_TOKEN_TTL_SECONDS: "86401" }, "AUTH_TOKEN_TTL_SECONDS"],
    [{ AUTH_TOKEN_TTL_SECONDS: "1h" }, "AUTH_TOKEN_TTL_SECONDS"],
    [{ AUTH_ISSUER: "not a url" }, "AUTH_ISSUER"],
    [{ AUTH_ISSUER: "http://x/auth#frag" }, "AUTH_ISSUER"],
    [{ AUTH_ISSUER: "http://x/auth?q=1" }, "AUTH_ISSUER"],
    [{ SUPERTOKENS_CONNECTION_URI: "core:3567" }, "SUPERTOKENS_CONNECTION_URI"],
    [{ SUPERTOKENS_API_KEY: "key-without-a-core" }, "SUPERTOKENS_API_KEY"],
    [{ AUTH_FAILED_AUTH_LIMIT_PER_CLIENT: "-1" }, "AUTH_FAILED_AUTH_LIMIT_PER_CLIENT"],
    [{ AUTH_FAILED_AUTH_LIMIT_PER_CLIENT: "100001" }, "AUTH_FAILED_AUTH_LIMIT_PER_CLIENT"],
    [{ AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "5.5" }, "AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS"],
    [{ AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "10001" }, "AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS"],
    [{ AUTH_FAILED_AUTH_LIMIT_PER_ADDRESS: "many" }, "AUTH_FAILED_AUTH_LIMIT_PER_ADDRESS"],
    [{ AUTH_FAILED_AUTH_WINDOW_SECONDS: "0" }, "AUTH_FAILED_AUTH_WINDOW_SECONDS"],
    [{ AUTH_KEY_ACTIVATION_DELAY_SECONDS: "86401" }, "AUTH_KEY_ACTIVATION_DELAY_SECONDS"],
    [{ AUTH_KEY_RETIRE_MARGIN_SECONDS: "1m" }, "AUTH_KEY_RETIRE_MARGIN_SECONDS"],
    [{ AUTH_EXTRA_AUDIENCES: "billing-service" }, "AUTH_EXTRA_AUDIENCES"],
    [{ CALENDAR_AUDIENCE: "two words" }, "CALENDAR_AUDIENCE"],
  ];
  for (const [env, setting] of bad) {
    it(`refuses ${JSON.stringify(env)}, naming ${setting}`, () => {
      assert.throws(() => loadAuthProviderConfig(env), (err: unknown) => err instanceof ConfigError && err.setting === setting);
    });
  }
});
