/**
 * Hostile callers of the token endpoint, against the real auth provider with
 * its default limits (issue 11, items 4 and 6): a JSON body that is a string
 * must not be read as a form, and wrong secrets sent from other addresses must
 * not lock a client out of its own address, while guessing stays slow from
 * any one address and, past a much higher ceiling, from new addresses too.
 * Callers on different addresses are simulated by binding the client socket
 * to other loopback addresses (127.0.0.2 and up).
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { basicAuthorization, startAuthProvider, type AuthProviderUnderTest } from "./support/auth-provider.js";
import { generateClientSecret } from "../auth-provider/clients/client-store.js";

const fields = { grant_type: "client_credentials", audience: "calendar-service", scope: "calendar.read" };
const clientIds = ["victim", "target", "json-string"] as const;
let provider: AuthProviderUnderTest;

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly json: Record<string, unknown>;
}

/** POSTs a token request from the given local (source) address. */
function post(from: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const url = new URL("/auth/oauth/token", provider.server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", localAddress: from, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: Record<string, unknown>;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = { text };
          }
          const retryAfter = res.headers["retry-after"];
          resolve({ status: res.statusCode ?? 0, retryAfter: typeof retryAfter === "string" ? retryAfter : undefined, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A form token request for clientId with secret (Basic), sent from the given address. */
const tokenFrom = (from: string, clientId: string, secret: string) =>
  post(from, new URLSearchParams(fields).toString(), {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basicAuthorization(clientId, secret),
  });
const right = (clientId: string) => provider.secrets[clientId]!;
const wrong = () => generateClientSecret();

function assertSlowDown(answer: Answer, who: RegExp): void {
  assert.equal(answer.status, 429, JSON.stringify(answer.json));
  assert.equal(answer.json["error"], "slow_down");
  assert.match(String(answer.json["error_description"]), who);
  assert.ok(Number(answer.retryAfter) >= 1, `Retry-After ${answer.retryAfter}`);
}

before(async () => {
  const client = { grants: [{ audience: "calendar-service", scopes: ["calendar.read"] }], grantTypes: ["client_credentials"] };
  provider = await startAuthProvider(clientIds.map((clientId) => ({ ...client, clientId })));
});
after(async () => {
  assert.equal(await provider?.close(), 0);
});

describe("token endpoint: hostile bodies", () => {
  it("refuses a JSON body that is a string, even one that spells a valid form request", async () => {
    const form = new URLSearchParams({ ...fields, client_id: "json-string", client_secret: right("json-string") }).toString();
    const answer = await post("127.0.0.1", JSON.stringify(form), { "content-type": "application/json" });
    assert.equal(answer.status, 400, JSON.stringify(answer.json));
    assert.equal(answer.json["error"], "invalid_request");
    assert.match(String(answer.json["error_description"]), /JSON body must be an object, not a string/);
    assert.equal(answer.json["access_token"], undefined);
  });
});

describe("token endpoint: wrong secrets from elsewhere (default limits)", () => {
  it("slows a guessing address down for that client without locking the client out of its own address", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await tokenFrom("127.0.0.2", "victim", wrong())).status, 401);
    assert.equal((await tokenFrom("127.0.0.1", "victim", right("victim"))).status, 200, "its own address still works");
    assertSlowDown(await tokenFrom("127.0.0.2", "victim", right("victim")), /for this client from this address; retry/);
  });

  it("past the per-client ceiling refuses new addresses but not one the client authenticated from", async () => {
    assert.equal((await tokenFrom("127.0.0.1", "target", right("target"))).status, 200);
    // 20 addresses × 5 wrong secrets = the default per-client ceiling of 100; no address reaches its own limits.
    for (let host = 10; host < 30; host++) {
      for (let i = 0; i < 5; i++) assert.equal((await tokenFrom(`127.0.0.${host}`, "target", wrong())).status, 401);
    }
    assertSlowDown(await tokenFrom("127.0.0.30", "target", right("target")), /for this client; retry/);
    assert.equal((await tokenFrom("127.0.0.1", "target", right("target"))).status, 200, "its known address still works");
    assert.equal((await tokenFrom("127.0.0.30", "victim", right("victim"))).status, 200, "other clients are not affected");
  });
});
