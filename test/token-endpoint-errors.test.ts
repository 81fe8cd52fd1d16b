/**
 * End-to-end tests of every token endpoint refusal against a real
 * auth-provider process: status, RFC 6749 error code, a useful description,
 * JSON content type, no-store, and the Basic challenge where it belongs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  basicAuthorization,
  requestToken,
  startAuthProvider,
  type AuthProviderUnderTest,
  type TokenRequestBody,
} from "./support/auth-provider.js";

const goodFields = { grant_type: "client_credentials", audience: "calendar-service", scope: "calendar.read" };
const wrongSecret = "wrong-secret-wrong-secret";
let provider: AuthProviderUnderTest;

const form = (fields: Record<string, string>): TokenRequestBody => ({ form: fields });
const basicFor = (clientId: string) => ({ authorization: basicAuthorization(clientId, provider.secrets[clientId]!) });
const assistantBasic = () => basicFor("assistant");
const assistantSecret = () => provider.secrets["assistant"]!;

before(async () => {
  const base = { grants: [{ audience: "calendar-service", scopes: ["calendar.read"] }] };
  provider = await startAuthProvider([
    { ...base, clientId: "code-only", grantTypes: ["authorization_code"] },
    { ...base, clientId: "sleeper", grantTypes: ["client_credentials"], disabled: true },
  ]);
});

after(async () => {
  assert.equal(await provider?.close(), 0);
});

interface ErrorCase {
  name: string;
  request: () => [TokenRequestBody, Record<string, string>];
  status: number;
  error: string;
  description: RegExp;
  challenge?: boolean;
}

const errorCases: ErrorCase[] = [
  {
    name: "missing grant_type",
    request: () => [form({ audience: "calendar-service", scope: "calendar.read" }), assistantBasic()],
    status: 400, error: "invalid_request", description: /grant_type is missing/,
  },
  {
    name: "empty grant_type counts as missing",
    request: () => [form({ ...goodFields, grant_type: "" }), assistantBasic()],
    status: 400, error: "invalid_request", description: /grant_type is missing/,
  },
  {
    name: "unsupported grant type",
    request: () => [form({ ...goodFields, grant_type: "password" }), assistantBasic()],
    status: 400, error: "unsupported_grant_type", description: /'password' is not supported/,
  },
  {
    name: "no client authentication",
    request: () => [form(goodFields), {}],
    status: 401, error: "invalid_client", description: /client authentication is required/, challenge: true,
  },
  {
    name: "wrong secret (Basic)",
    request: () => [form(goodFields), { authorization: basicAuthorization("assistant", wrongSecret) }],
    status: 401, error: "invalid_client", description: /^client authentication failed$/, challenge: true,
  },
  {
    name: "wrong secret (post)",
    request: () => [form({ ...goodFields, client_id: "assistant", client_secret: wrongSecret }), {}],
    status: 401, error: "invalid_client", description: /^client authentication failed$/, challenge: false,
  },
  {
    name: "unknown client",
    request: () => [form(goodFields), { authorization: basicAuthorization("nobody", wrongSecret) }],
    status: 401, error: "invalid_client", description: /^client authentication failed$/, challenge: true,
  },
  {
    name: "disabled client",
    request: () => [form(goodFields), basicFor("sleeper")],
    status: 401, error: "invalid_client", description: /^client authentication failed$/, challenge: true,
  },
  {
    name: "malformed Basic credentials",
    request: () => [form(goodFields), { authorization: "Basic !!!not-base64" }],
    status: 401, error: "invalid_client", description: /not valid base64/, challenge: true,
  },
  {
    name: "Authorization with another scheme",
    request: () => [form(goodFields), { authorization: "Bearer abc" }],
    status: 401, error: "invalid_client", description: /Basic scheme/, challenge: true,
  },
  {
    name: "both client authentication methods",
    request: () => [form({ ...goodFields, client_id: "assistant", client_secret: assistantSecret() }), assistantBasic()],
    status: 400, error: "invalid_request", description: /use one client authentication method/,
  },
  {
    name: "client_id without client_secret",
    request: () => [form({ ...goodFields, client_id: "assistant" }), {}],
    status: 401, error: "invalid_client", description: /client_secret is missing/,
  },
  {
    name: "missing audience",
    request: () => [form({ grant_type: "client_credentials", scope: "calendar.read" }), assistantBasic()],
    status: 400, error: "invalid_request", description: /audience is missing.*calendar-service, note-service/,
  },
  {
    name: "two audiences, space-separated",
    request: () => [form({ ...goodFields, audience: "calendar-service note-service" }), assistantBasic()],
    status: 400, error: "invalid_request", description: /one audience per token/,
  },
  {
    name: "two audiences, repeated field",
    request: () => [
      { form: "grant_type=client_credentials&scope=calendar.read&audience=calendar-service&audience=note-service" },
      assistantBasic(),
    ],
    status: 400, error: "invalid_request", description: /one audience per token/,
  },
  {
    name: "two audiences, JSON array",
    request: () => [{ json: { ...goodFields, audience: ["calendar-service", "note-service"] } }, assistantBasic()],
    status: 400, error: "invalid_request", description: /one audience per token/,
  },
  {
    name: "audience not granted at all (RFC 8707 invalid_target), naming it and the granted audiences",
    request: () => [form({ ...goodFields, audience: "billing-service" }), assistantBasic()],
    status: 400, error: "invalid_target",
    description: /^audience 'billing-service' is not granted to this client; granted audiences: calendar-service, note-service$/,
  },
  {
    name: "missing scope",
    request: () => [form({ grant_type: "client_credentials", audience: "calendar-service" }), assistantBasic()],
    status: 400, error: "invalid_request", description: /scope is missing/,
  },
  {
    name: "blank scope",
    request: () => [form({ ...goodFields, scope: "   " }), assistantBasic()],
    status: 400, error: "invalid_request", description: /scope is missing/,
  },
  {
    name: "scope not granted",
    request: () => [form({ ...goodFields, scope: "calendar.read admin \"x\"" }), assistantBasic()],
    status: 400, error: "invalid_scope",
    description: /^scopes not granted to this client for calendar-service: 'admin', '\?x\?'; granted for calendar-service: calendar.read calendar.write$/,
  },
  {
    name: "scope granted for another audience: names it and where it is granted",
    request: () => [form({ ...goodFields, scope: "calendar.read note.write" }), assistantBasic()],
    status: 400, error: "invalid_scope",
    description: /^scopes not granted to this client for calendar-service: 'note.write' \(note.write is granted for note-service, not for calendar-service\);/,
  },
  {
    name: "malformed JSON",
    request: () => [{ raw: '{"grant_type":', contentType: "application/json" }, assistantBasic()],
    status: 400, error: "invalid_request", description: /not valid JSON/,
  },
  {
    name: "JSON that is not an object",
    request: () => [{ json: ["client_credentials"] }, assistantBasic()],
    status: 400, error: "invalid_request", description: /must be an object/,
  },
  {
    name: "JSON parameter of the wrong type",
    request: () => [{ json: { ...goodFields, scope: ["calendar.read"] } }, assistantBasic()],
    status: 400, error: "invalid_request", description: /'scope' must be a string, not an array/,
  },
  {
    name: "wrong content type",
    request: () => [{ raw: "grant_type=client_credentials", contentType: "text/plain" }, assistantBasic()],
    status: 400, error: "invalid_request", description: /content type must be application\/x-www-form-urlencoded or application\/json/,
  },
  {
    name: "body too big",
    request: () => [form({ ...goodFields, padding: "x".repeat(20000) }), assistantBasic()],
    status: 400, error: "invalid_request", description: /larger than 16kb/,
  },
  {
    name: "duplicate parameter",
    request: () => [
      { form: "grant_type=client_credentials&grant_type=client_credentials&audience=calendar-service&scope=x" },
      assistantBasic(),
    ],
    status: 400, error: "invalid_request", description: /parameter grant_type is repeated/,
  },
  {
    name: "client not allowed to use client_credentials",
    request: () => [form(goodFields), basicFor("code-only")],
    status: 400, error: "unauthorized_client", description: /may not use the client_credentials grant/,
  },
];

describe("token endpoint: errors", () => {
  for (const c of errorCases) {
    it(c.name, async () => {
      const [body, headers] = c.request();
      const answer = await requestToken(provider.server.url, body, headers);
      assert.equal(answer.status, c.status, answer.text);
      assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(answer.headers.get("cache-control"), "no-store");
      assert.deepEqual(Object.keys(answer.json ?? {}).sort(), ["error", "error_description"], answer.text);
      assert.equal(answer.json!["error"], c.error);
      assert.match(answer.json!["error_description"] as string, c.description);
      // RFC 6749 §5.2: error_description uses %x20-21 / %x23-5B / %x5D-7E only.
      assert.match(answer.json!["error_description"] as string, /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
      const challenge = answer.headers.get("www-authenticate");
      if (c.challenge === true) assert.equal(challenge, `Basic realm="${provider.issuer}"`);
      if (c.challenge === false) assert.equal(challenge, null);
    });
  }
});

describe("request log of refusals", () => {
  it("logs the error code, no client_id for unauthenticated calls, and never a secret", async () => {
    assert.equal(await provider.server.stop(), 0); // all output has arrived once it has exited
    const requests = provider.server.logs().filter((l) => l["msg"] === "request");
    assert.equal(requests.length, errorCases.length);
    assert.ok(requests.some((l) => l["status"] === 401 && l["error"] === "invalid_client" && !("client_id" in l)));
    assert.ok(requests.some((l) => l["error"] === "unauthorized_client" && l["client_id"] === "code-only"));
    const all = provider.server.output.join("\n");
    for (const secret of [...Object.values(provider.secrets), wrongSecret]) assert.ok(!all.includes(secret));
  });
});
