/**
 * The auth provider's Prometheus metrics (issue 16) against a real process with AUTH_METRICS_PORT=0: good and bad
 * token requests move the right series (issued by client and audience; invalid_client with client_id ""; invalid_scope
 * with the client; slow_down by limit), revocations and introspections are counted, the keys are reported by state,
 * the public port has no /metrics, and a taken metrics port stops start-up with a line naming AUTH_METRICS_PORT.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { revocationListPath } from "../common/revocation-list.js";
import { startAuthProvider, type AuthProviderUnderTest } from "./support/auth-provider.js";
import { runNode } from "./support/cli.js";
import { authAdmin, postToAuth, tokenRequest, type ClientAuth } from "./support/oauth-client.js";
import { tempDataDir } from "./support/processes.js";

const grants = [{ audience: "note-service", scopes: ["note.read"] }];
const client = (clientId: string, extra: { maxTokensPerMinute?: number } = {}) => ({ clientId, grants, grantTypes: ["client_credentials"], ...extra });

let provider: AuthProviderUnderTest;
let metricsUrl: string;
const basic = (clientId: string, secret = provider.secrets[clientId]!): ClientAuth => ({ basic: { clientId, secret } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl);
  assert.equal(response.status, 200);
  return response.text();
}

/** The value of one series (labels exactly as written, in order), 0 when absent. */
function valueOf(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const tokens = (clientId: string, audience: string, outcome: string) =>
  `m2m_oauth_token_requests_total{client_id="${clientId}",audience="${audience}",outcome="${outcome}",component="auth-provider"}`;

before(async () => {
  provider = await startAuthProvider([client("reader"), client("guessed"), client("budgeted", { maxTokensPerMinute: 1 })], {
    AUTH_METRICS_PORT: "0",
    AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "3",
  });
  const line = provider.server.logs().find((l) => l["msg"] === "serving metrics");
  assert.ok(line, "the provider announces its metrics listener");
  metricsUrl = String(line["url"]);
  assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
});

after(async () => {
  await provider?.close();
});

describe("auth provider metrics", () => {
  it("serves the process metrics on its own listener and nothing on the public port", async () => {
    const text = await scrape();
    assert.match(text, /process_cpu_user_seconds_total\{component="auth-provider"\}/);
    assert.match(text, /nodejs_eventloop_lag_seconds\{component="auth-provider"\}/);
    assert.equal((await fetch(`${provider.server.url}/metrics`)).status, 404);
    assert.equal((await fetch(`${provider.server.url}/auth/metrics`)).status, 404);
  });

  it("counts an issued token by client and audience, with its duration", async () => {
    assert.equal((await tokenRequest(provider.server.url, basic("reader"))).status, 200);
    const text = await scrape();
    assert.equal(valueOf(text, tokens("reader", "note-service", "issued")), 1);
    assert.equal(valueOf(text, 'm2m_oauth_token_request_duration_seconds_count{component="auth-provider",outcome="issued"}'), 1);
  });

  it("counts a wrong secret as invalid_client without a client id, never the claimed one", async () => {
    assert.equal((await tokenRequest(provider.server.url, basic("reader", "wrong-secret-wrong-secret"))).status, 401);
    assert.equal((await tokenRequest(provider.server.url, basic("nobody-such-client", "wrong-secret-wrong-secret"))).status, 401);
    const text = await scrape();
    assert.equal(valueOf(text, tokens("", "", "invalid_client")), 2);
    assert.doesNotMatch(text, /nobody-such-client/);
  });

  it("counts invalid_scope and invalid_target with the client, and a foreign audience as empty", async () => {
    assert.equal((await tokenRequest(provider.server.url, basic("reader"), "note-service", "note.write")).status, 400);
    assert.equal((await tokenRequest(provider.server.url, basic("reader"), "made-up-service", "note.read")).status, 400);
    const text = await scrape();
    assert.equal(valueOf(text, tokens("reader", "note-service", "invalid_scope")), 1);
    assert.equal(valueOf(text, tokens("reader", "", "invalid_target")), 1);
    assert.doesNotMatch(text, /made-up-service/);
  });

  it("counts slow_down by limit: failed logins per client and address, and a token budget", async () => {
    for (let i = 0; i < 3; i++) await tokenRequest(provider.server.url, basic("guessed", `wrong-guess-${i}-wrong-guess`));
    assert.equal((await tokenRequest(provider.server.url, basic("guessed"))).status, 429);
    const budget = [];
    for (let i = 0; i < 3; i++) budget.push((await tokenRequest(provider.server.url, basic("budgeted"))).status);
    assert.ok(budget.includes(429), `the budget refuses: ${budget.join(",")}`);
    const text = await scrape();
    assert.equal(valueOf(text, 'm2m_oauth_throttled_requests_total{limit="client-address",component="auth-provider"}'), 1);
    assert.equal(valueOf(text, 'm2m_oauth_throttled_requests_total{limit="budget",component="auth-provider"}'), budget.filter((s) => s === 429).length);
    assert.equal(valueOf(text, tokens("", "", "slow_down")), 1);
    assert.ok(valueOf(text, tokens("budgeted", "note-service", "slow_down")) >= 1);
  });

  it("counts revocations and introspections", async () => {
    const token = String((await tokenRequest(provider.server.url, basic("reader"))).json!["access_token"]);
    assert.equal((await postToAuth(provider.server.url, "/oauth/introspect", { token }, basic("reader"))).json!["active"], true);
    assert.equal((await postToAuth(provider.server.url, "/oauth/revoke", { token }, basic("reader"))).status, 200);
    assert.equal((await postToAuth(provider.server.url, "/oauth/introspect", { token }, basic("reader"))).json!["active"], false);
    let text = await scrape();
    assert.equal(valueOf(text, 'm2m_oauth_revocations_total{kind="token",component="auth-provider"}'), 1);
    assert.equal(valueOf(text, 'm2m_oauth_introspections_total{active="true",component="auth-provider"}'), 1);
    assert.equal(valueOf(text, 'm2m_oauth_introspections_total{active="false",component="auth-provider"}'), 1);
    // A client disabled by auth-admin (another process) counts once this process reads the revocations again.
    await fetch(`${provider.server.url}/auth${revocationListPath}`);
    await authAdmin({ DATA_DIR: dataDirOf(provider) }, "client", "disable", "budgeted");
    for (let i = 0; i < 40; i++) {
      await fetch(`${provider.server.url}/auth${revocationListPath}`);
      text = await scrape();
      if (valueOf(text, 'm2m_oauth_revocations_total{kind="client",component="auth-provider"}') === 1) break;
      await sleep(100);
    }
    assert.equal(valueOf(text, 'm2m_oauth_revocations_total{kind="client",component="auth-provider"}'), 1);
  });

  it("reports the issuer keys by state", async () => {
    const text = await scrape();
    assert.equal(valueOf(text, 'm2m_issuer_keys{state="published",component="auth-provider"}'), 1);
    assert.equal(valueOf(text, 'm2m_issuer_keys{state="active",component="auth-provider"}'), 1);
    assert.equal(valueOf(text, 'm2m_issuer_keys{state="retiring",component="auth-provider"}'), 0);
  });

  it("stops start-up with a line naming AUTH_METRICS_PORT when its port is taken", async () => {
    const dataDir = tempDataDir();
    try {
      const port = new URL(metricsUrl).port;
      const result = await runNode("auth-provider/main.js", [], { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: dataDir.path, AUTH_METRICS_PORT: port });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stdout + result.stderr, /cannot serve metrics on 127\.0\.0\.1:\d+ \(AUTH_METRICS_PORT\): the port is already in use/);
    } finally {
      dataDir.remove();
    }
  });
});

// The provider's data directory, from its "loaded issuer keys" line (the keys file lives there).
function dataDirOf(p: AuthProviderUnderTest): string {
  const file = String(p.server.logs().find((l) => l["msg"] === "loaded issuer keys" || l["msg"] === "created issuer keys")!["file"]);
  return file.slice(0, file.lastIndexOf("/"));
}
