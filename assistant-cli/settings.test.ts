/** The assistant's settings: plain HTTP only to this machine unless --allow-insecure-http or its variable says so. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CliError } from "../common/cli-error.js";
import { resolveSettings } from "./settings.js";

const usageError = (pattern: RegExp) => (err: unknown) => err instanceof CliError && err.exitCode === 2 && pattern.test(err.message) && !err.message.includes("\n");

describe("resolveSettings and plain HTTP", () => {
  test("the defaults (http to localhost) and loopback addresses are accepted", () => {
    const settings = resolveSettings({}, {});
    assert.deepEqual([settings.authUrl, settings.calendarUrl, settings.notesUrl], ["http://localhost:3001", "http://localhost:3011", "http://localhost:3012"]);
    assert.equal(resolveSettings({ authUrl: "http://127.0.0.1:3001", calendarUrl: "http://[::1]:3011" }, {}).calendarUrl, "http://[::1]:3011");
  });

  test("https to any host is accepted", () => {
    assert.equal(resolveSettings({ authUrl: "https://auth.example" }, {}).authUrl, "https://auth.example");
  });

  const refused: [string, Parameters<typeof resolveSettings>[0], Record<string, string>, RegExp][] = [
    ["--auth-url to another host: the client secret", { authUrl: "http://198.51.100.1:3001" }, {}, /^--auth-url: "http:\/\/198\.51\.100\.1:3001" is plain HTTP to 198\.51\.100\.1, which is not this machine: the client secret would cross the network unencrypted.*RFC 6749 §2\.3\.1.*--allow-insecure-http \(or set ASSISTANT_ALLOW_INSECURE_HTTP=1\)/],
    ["AUTH_URL to another host", {}, { AUTH_URL: "http://auth.example" }, /^--auth-url: .*client secret/],
    ["CALENDAR_URL to another host: bearer tokens", {}, { CALENDAR_URL: "http://calendar.example" }, /^--calendar-url: .*bearer tokens would cross the network unencrypted \(RFC 6750 §5\.3\)/],
    ["--notes-url to a name that only starts like localhost", { notesUrl: "http://localhost.evil.example:3012" }, {}, /^--notes-url: .*not this machine/],
    ["ASSISTANT_ALLOW_INSECURE_HTTP=0", { authUrl: "http://auth.example" }, { ASSISTANT_ALLOW_INSECURE_HTTP: "0" }, /^--auth-url: /],
  ];
  for (const [name, options, env, message] of refused) {
    test(`${name}: a usage error (exit code 2)`, () => {
      assert.throws(() => resolveSettings(options, env), usageError(message));
    });
  }

  test("--allow-insecure-http or ASSISTANT_ALLOW_INSECURE_HTTP=1 allows plain HTTP anywhere", () => {
    const urls = { authUrl: "http://198.51.100.1:3001", calendarUrl: "http://calendar.example", notesUrl: "http://notes.example" };
    assert.equal(resolveSettings({ ...urls, allowInsecureHttp: true }, {}).authUrl, "http://198.51.100.1:3001");
    assert.equal(resolveSettings(urls, { ASSISTANT_ALLOW_INSECURE_HTTP: "1" }).notesUrl, "http://notes.example");
  });

  test("another value of ASSISTANT_ALLOW_INSECURE_HTTP is a usage error naming it", () => {
    assert.throws(() => resolveSettings({}, { ASSISTANT_ALLOW_INSECURE_HTTP: "true" }), usageError(/^ASSISTANT_ALLOW_INSECURE_HTTP: /));
  });
});

describe("resolveSettings: DPoP and the client certificate", () => {
  test("DPoP is on by default, with its key beside the token cache", () => {
    const settings = resolveSettings({}, { XDG_CACHE_HOME: "/cache" });
    assert.equal(settings.dpop, true);
    assert.equal(settings.dpopKeyFile, "/cache/m2m-grpc/dpop-key.json");
    assert.equal(settings.tokenCacheFile, "/cache/m2m-grpc/tokens.json");
    assert.equal(settings.clientCertificate, undefined);
  });

  test("--no-dpop (commander's dpop: false) or ASSISTANT_DPOP=0 turns it off; 1 or empty leaves it on", () => {
    assert.equal(resolveSettings({ dpop: false }, {}).dpop, false);
    assert.equal(resolveSettings({}, { ASSISTANT_DPOP: "0" }).dpop, false);
    assert.equal(resolveSettings({ dpop: true }, { ASSISTANT_DPOP: "1" }).dpop, true);
    assert.equal(resolveSettings({}, { ASSISTANT_DPOP: "" }).dpop, true);
    assert.equal(resolveSettings({ dpop: false }, { ASSISTANT_DPOP: "1" }).dpop, false, "the flag turns it off whatever the variable says");
  });

  test("another value of ASSISTANT_DPOP is a usage error naming it", () => {
    assert.throws(() => resolveSettings({}, { ASSISTANT_DPOP: "off" }), usageError(/^ASSISTANT_DPOP: "off" must be 0/));
  });

  test("a client certificate without its key, or a key without its certificate, is a usage error naming both", () => {
    assert.throws(() => resolveSettings({ clientCert: "/c.pem" }, {}), usageError(/^--client-key: is not set but --client-cert is: give both --client-cert \(ASSISTANT_CLIENT_CERT_FILE\) and --client-key \(ASSISTANT_CLIENT_KEY_FILE\)/));
    assert.throws(() => resolveSettings({}, { ASSISTANT_CLIENT_KEY_FILE: "/k.pem" }), usageError(/^--client-cert: is not set but --client-key is/));
  });

  test("an unreadable file is a usage error naming where it was set", () => {
    assert.throws(() => resolveSettings({}, { ASSISTANT_CLIENT_CERT_FILE: "/no/such/cert.pem", ASSISTANT_CLIENT_KEY_FILE: "/no/such/key.pem" }), usageError(/^ASSISTANT_CLIENT_CERT_FILE: cannot read "\/no\/such\/cert\.pem": no such file/));
    assert.throws(() => resolveSettings({ clientCert: "/no/such/cert.pem", clientKey: "/no/such/key.pem" }, {}), usageError(/^--client-cert: cannot read/));
  });
});
