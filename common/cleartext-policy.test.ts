/** The plain-HTTP rule shared by the services and the assistant: which hosts are loopback, the switch, the message. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkCleartextUrl, isLoopbackHost, readAllowInsecureHttp } from "./cleartext-policy.js";
import { ConfigError } from "./env.js";

describe("isLoopbackHost, on hostnames as URL parsing leaves them", () => {
  const cases: [string, boolean][] = [
    ["http://localhost:3001/auth", true],
    ["http://LOCALHOST:3001", true],
    ["http://127.0.0.1:3001", true],
    ["http://127.255.255.254", true],
    ["http://127.1", true], // URL parsing writes it 127.0.0.1
    ["http://0x7f.0.0.1", true],
    ["http://[::1]:3011", true],
    ["http://[0:0:0:0:0:0:0:1]", true],
    ["http://localhost.evil.example", false],
    ["http://localhost.", false],
    ["http://evil-localhost", false],
    ["http://127.0.0.1.evil.example", false],
    ["http://128.0.0.1", false],
    ["http://0.0.0.0", false],
    ["http://10.0.0.1", false],
    ["http://198.51.100.1:3001", false],
    ["http://[::ffff:127.0.0.1]", false], // written [::ffff:7f00:1]: refused, as rare as it is ambiguous
    ["http://[::2]", false],
    ["http://example.invalid", false],
  ];
  for (const [url, loopback] of cases) {
    test(`${url}: ${loopback ? "loopback" : "another host"}`, () => {
      assert.equal(isLoopbackHost(new URL(url).hostname), loopback);
    });
  }
  test("raw hostnames too", () => {
    assert.equal(isLoopbackHost("::1"), true);
    assert.equal(isLoopbackHost("127.0.0.256"), false);
  });
});

describe("checkCleartextUrl", () => {
  const policy = { allowed: false, allowWith: "set X_ALLOW=1", risk: "secrets would cross the network unencrypted" };
  test("https anywhere and http to loopback pass unchanged", () => {
    for (const url of ["https://auth.example/jwks.json", "http://localhost:3001", "http://127.0.0.1:9", "http://[::1]:1"]) {
      assert.equal(checkCleartextUrl("X_URL", url, policy), url);
    }
  });
  test("http to another host is a ConfigError naming the setting, the host, the risk and the way out, on one line", () => {
    assert.throws(
      () => checkCleartextUrl("X_URL", "http://localhost.evil.example/keys", { ...policy, origin: "derived from X_BASE" }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.setting === "X_URL" &&
        err.message ===
          'X_URL: "http://localhost.evil.example/keys" (derived from X_BASE) is plain HTTP to localhost.evil.example, which is not this machine: secrets would cross the network unencrypted; use https://, or set X_ALLOW=1 if the network is trusted',
    );
  });
  test("allowed: any http URL passes", () => {
    assert.equal(checkCleartextUrl("X_URL", "http://198.51.100.1", { ...policy, allowed: true }), "http://198.51.100.1");
  });
});

test("readAllowInsecureHttp: 1 allows, unset, empty and 0 do not, anything else names the variable", () => {
  assert.equal(readAllowInsecureHttp({ X: "1" }, "X"), true);
  assert.equal(readAllowInsecureHttp({ X: " 1 " }, "X"), true);
  for (const value of [undefined, "", "0"]) assert.equal(readAllowInsecureHttp({ X: value }, "X"), false);
  for (const value of ["true", "yes", "2"]) {
    assert.throws(() => readAllowInsecureHttp({ X: value }, "X"), (err: unknown) => err instanceof ConfigError && err.setting === "X");
  }
});
