/**
 * Plain HTTP only to this machine, checked on the real programs: a service
 * whose JWKS URL is http:// to another host does not start (exit 2, one line
 * naming AUTH_JWKS_URL) unless AUTH_ALLOW_INSECURE_HTTP=1; the assistant and
 * the demo refuse an http:// auth provider or service on another host (exit 2,
 * one line) before connecting anywhere, unless --allow-insecure-http or
 * ASSISTANT_ALLOW_INSECURE_HTTP=1. Where the machine has a non-loopback
 * address, a witness server on it shows that nothing connects without the
 * setting and that the setting does let the call through.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { networkInterfaces } from "node:os";
import { after, before, describe, test } from "node:test";
import { runCli, runNode } from "./support/cli.js";
import { startProcess, tempDataDir } from "./support/processes.js";

const data = tempDataDir();
after(() => data.remove());

/** A server that records every request it gets (method, path, whether it carried credentials) and answers 503. */
interface Witness {
  url: string;
  requests: { path: string; authorization: boolean }[];
  close(): Promise<void>;
}

async function startWitness(host: string): Promise<Witness> {
  const requests: Witness["requests"] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    requests.push({ path: req.url ?? "", authorization: req.headers.authorization !== undefined });
    res.writeHead(503, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://${host}:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** An IPv4 address of this machine that is not loopback, if it has one: reachable, yet "another host" by the rule. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;

const serviceEnv = (extra: Record<string, string>) => ({
  DATA_DIR: data.path,
  CALENDAR_PORT: "0",
  CALENDAR_HOST: "127.0.0.1",
  AUTH_ISSUER: "http://127.0.0.1:1/auth",
  LOG_LEVEL: "info",
  ...extra,
});

const oneLine = (text: string) => text.trimEnd().split("\n").length === 1;

describe("a service's JWKS URL", () => {
  test("http:// to another host: the service does not start (exit 2), naming AUTH_JWKS_URL and why", async () => {
    const result = await runNode("calendar/main.js", [], serviceEnv({ AUTH_JWKS_URL: "http://example.invalid/jwks.json" }));
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /^calendar: configuration error: AUTH_JWKS_URL: "http:\/\/example\.invalid\/jwks\.json" is plain HTTP to example\.invalid, which is not this machine: .*forge tokens.*use https:\/\/, or set AUTH_ALLOW_INSECURE_HTTP=1/);
    assert.ok(oneLine(result.stderr), result.stderr);
  });

  test("derived from an http:// AUTH_ISSUER on another host: refused too, saying so", async () => {
    const result = await runNode("calendar/main.js", [], serviceEnv({ AUTH_ISSUER: "http://auth.example.invalid/auth" }));
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /AUTH_JWKS_URL: "http:\/\/auth\.example\.invalid\/auth\/jwt\/jwks\.json" \(derived from AUTH_ISSUER\) is plain HTTP/);
  });

  test("with AUTH_ALLOW_INSECURE_HTTP=1 the service starts", async () => {
    const service = await startProcess("calendar/main.js", { env: serviceEnv({ AUTH_JWKS_URL: "http://example.invalid/jwks.json", AUTH_ALLOW_INSECURE_HTTP: "1" }) });
    assert.ok(service.port > 0, "it listens");
    await service.stop();
  });

  describe("against a witness on this machine's non-loopback address", { skip: lanAddress === undefined ? "no non-loopback IPv4 address" : false }, () => {
    let witness: Witness;
    before(async () => (witness = await startWitness(lanAddress!)));
    after(() => witness?.close());

    test("refused without the setting: exit 2 and no request; with it, the service fetches the keys from there", async () => {
      const jwks = `${witness.url}/jwks.json`;
      const refused = await runNode("calendar/main.js", [], serviceEnv({ AUTH_JWKS_URL: jwks }));
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(witness.requests.length, 0);
      const service = await startProcess("calendar/main.js", { env: serviceEnv({ AUTH_JWKS_URL: jwks, AUTH_ALLOW_INSECURE_HTTP: "1" }) });
      try {
        for (let i = 0; i < 100 && witness.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(witness.requests[0], { path: "/jwks.json", authorization: false });
      } finally {
        await service.stop();
      }
    });
  });
});

describe("the assistant", () => {
  const cliEnv = (extra: Record<string, string> = {}) => ({
    ASSISTANT_CLIENT_ID: "assistant",
    ASSISTANT_CLIENT_SECRET: "not-a-real-secret",
    XDG_CACHE_HOME: data.path,
    DATA_DIR: data.path,
    ...extra,
  });

  test("--auth-url http://198.51.100.1:3001: exit 2 at once, one line naming the option and the client secret", async () => {
    const started = Date.now();
    const result = await runCli(["--auth-url", "http://198.51.100.1:3001", "note", "list"], cliEnv());
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^assistant: --auth-url: "http:\/\/198\.51\.100\.1:3001" is plain HTTP to 198\.51\.100\.1, which is not this machine: the client secret would cross the network unencrypted.*RFC 6749 §2\.3\.1.*--allow-insecure-http/);
    assert.ok(oneLine(result.stderr), result.stderr);
    // A connection attempt to that unroutable address would take the token request's 10 s timeout.
    assert.ok(Date.now() - started < 5000, "answered without trying to connect");
  });

  test("CALENDAR_URL http:// to another host: exit 2, naming the option and bearer tokens", async () => {
    const result = await runCli(["calendar", "list"], cliEnv({ CALENDAR_URL: "http://calendar.example.invalid:3011" }));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^assistant: --calendar-url: .*bearer tokens would cross the network unencrypted \(RFC 6750 §5\.3\)/);
  });

  test("the demo refuses the same way (exit 2, one line)", async () => {
    const result = await runNode("assistant-cli/demo.js", [], cliEnv({ AUTH_URL: "http://198.51.100.1:3001" }));
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /^demo: --auth-url: "http:\/\/198\.51\.100\.1:3001" is plain HTTP/);
    assert.ok(oneLine(result.stderr), result.stderr);
  });

  describe("against a witness on this machine's non-loopback address", { skip: lanAddress === undefined ? "no non-loopback IPv4 address" : false }, () => {
    let witness: Witness;
    before(async () => (witness = await startWitness(lanAddress!)));
    after(() => witness?.close());

    test("refused: no request reaches the auth provider's address; allowed (flag or variable): the token request is sent", async () => {
      const refused = await runCli(["--auth-url", witness.url, "note", "list"], cliEnv());
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(witness.requests.length, 0, "nothing was sent");
      await runCli(["--allow-insecure-http", "--auth-url", witness.url, "note", "list"], cliEnv());
      assert.deepEqual(witness.requests.at(-1), { path: "/auth/oauth/token", authorization: true });
      await runCli(["--auth-url", witness.url, "note", "list"], cliEnv({ ASSISTANT_ALLOW_INSECURE_HTTP: "1" }));
      // Each run may read the discovery document first (to learn whether DPoP is offered); one token request each.
      assert.equal(witness.requests.filter((r) => r.path === "/auth/oauth/token").length, 2);
    });
  });
});
