/**
 * The SuperTokens backend without a SuperTokens core (none can run on this
 * project's machines). It starts, serves its routes, reports an unreachable or
 * refusing core in one line with what to do, retries with backoff, and /healthz
 * says so. The contract test checks what our code asks supertokens-node to send
 * to a core; its listener only records requests and refuses them (it issues no
 * tokens and is not a stand-in for a core).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";

async function until(condition: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const errorLines = (p: RunningProcess) => p.logs().filter((l) => l["level"] === "error").map((l) => String(l["msg"]));

test("with the core unreachable: starts, serves discovery, answers 503 where it needs the core, retries with backoff", async () => {
  const data = tempDataDir();
  const auth = await startProcess("auth-provider/main.js", {
    env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: data.path, SUPERTOKENS_CONNECTION_URI: "http://127.0.0.1:9" },
  });
  try {
    assert.equal(auth.logs().find((l) => l["msg"] === "listening")?.["backend"], "supertokens");
    await until(() => errorLines(auth).length >= 2, "two failed attempts");
    const [first, second] = errorLines(auth);
    assert.equal(first, "cannot reach the SuperTokens core at http://127.0.0.1:9: check SUPERTOKENS_CONNECTION_URI and that the core is running; retrying in 1 s");
    assert.match(second!, /; retrying in 2 s$/, "the delay doubles");

    const health = await fetch(`${auth.url}/healthz`);
    assert.equal(health.status, 503);
    assert.deepEqual(await health.json(), { status: "unavailable", backend: "supertokens", reason: first!.replace(/; retrying in 1 s$/, "") });

    const discovery = await fetch(`${auth.url}/auth/.well-known/openid-configuration`);
    assert.equal(discovery.status, 200);
    const metadata = (await discovery.json()) as Record<string, string>;
    assert.equal(metadata["token_endpoint"], `http://localhost:${auth.port}/auth/oauth/token`);
    assert.equal(metadata["jwks_uri"], `http://localhost:${auth.port}/auth/jwt/jwks.json`);

    const jwks = await fetch(`${auth.url}/auth/jwt/jwks.json`);
    assert.equal(jwks.status, 503);
    assert.equal(((await jwks.json()) as { error: string }).error, "temporarily_unavailable");

    const noClient = await fetch(`${auth.url}/auth/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials" });
    assert.equal(noClient.status, 400);
    assert.equal(((await noClient.json()) as { error: string }).error, "invalid_request");

    assert.equal(await auth.stop(), 0, "stops cleanly while still retrying");
  } finally {
    await auth.stop();
    data.remove();
  }
});

test("contract: the assistant client our code asks supertokens-node to create, with the API key; a refusal is reported and retried", async () => {
  const recorded: { method: string; path: string; apiKey: string | undefined; body: unknown }[] = [];
  const listener = createServer(async (req: IncomingMessage, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const path = new URL(req.url!, "http://x").pathname;
    recorded.push({ method: req.method!, path, apiKey: req.headers["api-key"] as string | undefined, body: text ? JSON.parse(text) : undefined });
    if (path === "/apiversion") return void res.writeHead(200, { "content-type": "application/json" }).end('{"versions":["5.4"]}');
    if (req.method === "GET" && path === "/recipe/oauth/clients") return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":"CLIENT_NOT_FOUND_ERROR"}');
    res.writeHead(402, { "content-type": "text/plain" }).end("Cannot use feature: [oauth], because the license key is missing, or doesn't have this feature enabled.");
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const coreUri = `http://127.0.0.1:${(listener.address() as { port: number }).port}`;
  const data = tempDataDir();
  // A client id from an earlier start that this core does not know: it must be created again.
  writeFileSync(join(data.path, "clients.json"), JSON.stringify({ assistant: { clientId: "stale-client", clientSecret: "stale-secret-0123456789" } }), { mode: 0o600 });
  const auth = await startProcess("auth-provider/main.js", {
    env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: data.path, SUPERTOKENS_CONNECTION_URI: coreUri, SUPERTOKENS_API_KEY: "test-api-key" },
  });
  try {
    await until(() => recorded.filter((r) => r.method === "POST").length >= 2, "a retried create");
    const calls = recorded.filter((r) => r.path !== "/apiversion");
    assert.deepEqual(calls[0]!.method + " " + calls[0]!.path, "GET /recipe/oauth/clients", "first looks up the saved client");
    const create = calls.find((r) => r.method === "POST")!;
    assert.equal(create.path, "/recipe/oauth/clients");
    assert.deepEqual(create.body, {
      clientName: "assistant",
      grantTypes: ["client_credentials"],
      responseTypes: [],
      scope: "calendar.read calendar.write note.read note.write",
      audience: ["calendar-service", "note-service"],
      tokenEndpointAuthMethod: "client_secret_basic",
    });
    assert.ok(recorded.every((r) => r.apiKey === "test-api-key"), "every core call carries SUPERTOKENS_API_KEY");

    const warnings = auth.logs().filter((l) => l["level"] === "warn").map((l) => l["msg"]);
    assert.ok(warnings.includes("the SuperTokens core no longer knows the assistant client; creating it again"));
    assert.match(
      errorLines(auth)[0]!,
      new RegExp(`^the SuperTokens core at ${coreUri} does not offer the OAuth feature: it needs a licence key with OAuth \\(or the managed service\\) and Ory Hydra behind the core; retrying in 1 s$`),
    );
    const health = await fetch(`${auth.url}/healthz`);
    assert.equal(health.status, 503);
    assert.match(((await health.json()) as { reason: string }).reason, /does not offer the OAuth feature/);
  } finally {
    await auth.stop();
    listener.close();
    data.remove();
  }
});
