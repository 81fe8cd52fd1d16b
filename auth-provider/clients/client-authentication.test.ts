/**
 * Unit tests of reading client credentials from the Authorization header, the
 * body and the connection's client certificate, and of tls_client_auth.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authenticateClient, parseBasicAuthorization, readPresentedCredentials, type ClientAuthenticationDeps } from "./client-authentication.js";
import type { PresentedCertificate } from "./client-certificate.js";
import type { ClientRecord } from "./client-record.js";
import { parseDistinguishedName } from "./tls-subject-dn.js";
import { OAuthError } from "../token/oauth-error.js";
import { basicAuthorization } from "../../test/support/auth-provider.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function oauthError(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OAuthError);
    return err;
  }
  assert.fail("no error");
}

describe("parseBasicAuthorization", () => {
  const good: [string, string, string][] = [
    ["plain", `Basic ${b64("assistant:s3cret")}`, "assistant|s3cret"],
    ["scheme in any case", `basic ${b64("a:b")}`, "a|b"],
    ["splits on the first colon only", `Basic ${b64("a:b:c")}`, "a|b:c"],
    ["form-decodes both parts", basicAuthorization("id:with colon", "p%ss+w:rd"), "id:with colon|p%ss+w:rd"],
    ["+ is a space", `Basic ${b64("a+b:c+d")}`, "a b|c d"],
    ["missing base64 padding", `Basic ${b64("ab:cd").replace(/=+$/, "")}`, "ab|cd"],
  ];
  for (const [name, header, expected] of good) {
    it(name, () => {
      const { clientId, clientSecret } = parseBasicAuthorization(header);
      assert.equal(`${clientId}|${clientSecret}`, expected);
    });
  }

  const bad: [string, string, RegExp][] = [
    ["another scheme", "Bearer abc", /Basic scheme/],
    ["no credentials", "Basic", /not valid base64/],
    ["not base64", "Basic ***", /not valid base64/],
    ["no colon", `Basic ${b64("assistant")}`, /client_id:client_secret/],
    ["bad percent escape", `Basic ${b64("a%zz:b")}`, /URL-encoded/],
    ["empty id", `Basic ${b64(":secret")}`, /empty/],
    ["empty secret", `Basic ${b64("id:")}`, /empty/],
  ];
  for (const [name, header, description] of bad) {
    it(`refuses ${name} with invalid_client and a Basic challenge`, () => {
      const err = oauthError(() => parseBasicAuthorization(header));
      assert.equal(err.code, "invalid_client");
      assert.equal(err.status, 401);
      assert.equal(err.basicChallenge, true);
      assert.match(err.description, description);
    });
  }
});

describe("readPresentedCredentials", () => {
  const basic = basicAuthorization("assistant", "s3cret");

  it("takes Basic credentials", () => {
    assert.deepEqual(readPresentedCredentials(basic, {}), {
      method: "client_secret_basic",
      clientId: "assistant",
      clientSecret: "s3cret",
    });
  });

  it("takes body credentials", () => {
    assert.deepEqual(readPresentedCredentials(undefined, { clientId: "assistant", clientSecret: "s3cret" }), {
      method: "client_secret_post",
      clientId: "assistant",
      clientSecret: "s3cret",
    });
  });

  it("accepts a body client_id that agrees with Basic", () => {
    assert.equal(readPresentedCredentials(basic, { clientId: "assistant" }).method, "client_secret_basic");
  });

  const cases: [string, string | undefined, { clientId?: string; clientSecret?: string }, string, RegExp][] = [
    ["both methods", basic, { clientId: "assistant", clientSecret: "s3cret" }, "invalid_request", /use one client authentication method/],
    ["a body client_id that contradicts Basic", basic, { clientId: "other" }, "invalid_request", /does not match/],
    ["no credentials", undefined, {}, "invalid_client", /client authentication is required/],
    ["client_id only", undefined, { clientId: "assistant" }, "invalid_client", /client_secret is missing/],
    ["client_secret only", undefined, { clientSecret: "s3cret" }, "invalid_client", /client_id is missing/],
  ];
  for (const [name, header, body, code, description] of cases) {
    it(`refuses ${name}`, () => {
      const err = oauthError(() => readPresentedCredentials(header, body));
      assert.equal(err.code, code);
      assert.match(err.description, description);
    });
  }
});

describe("tls_client_auth", () => {
  const certificate = (overrides: Partial<PresentedCertificate> = {}): PresentedCertificate => ({
    trusted: true,
    untrustedReason: undefined,
    subject: parseDistinguishedName("CN=reporting,O=Example"),
    thumbprint: "x5t",
    ...overrides,
  });
  const on = { tlsClientAuth: true, certificate: certificate() };

  it("takes client_id alone with a certificate as tls_client_auth, only when it is on", () => {
    assert.deepEqual(readPresentedCredentials(undefined, { clientId: "reporting" }, on), { method: "tls_client_auth", clientId: "reporting", certificate: on.certificate });
    assert.equal(readPresentedCredentials(undefined, { clientId: "reporting", clientSecret: "s" }, on).method, "client_secret_post", "a secret wins");
    assert.match(oauthError(() => readPresentedCredentials(undefined, { clientId: "reporting" }, { certificate: on.certificate })).description, /client_secret is missing$/);
    const none = oauthError(() => readPresentedCredentials(undefined, { clientId: "reporting" }, { tlsClientAuth: true }));
    assert.deepEqual([none.code, none.status], ["invalid_client", 401]);
    assert.match(none.description, /no client certificate was presented/);
    assert.match(oauthError(() => readPresentedCredentials(undefined, {}, on)).description, /send only client_id \(tls_client_auth\)/);
  });

  const record = (overrides: Partial<ClientRecord> = {}): ClientRecord => ({
    clientId: "reporting",
    grants: [{ audience: "note-service", scopes: ["note.read"] }],
    grantTypes: ["client_credentials"],
    tokenTtlSeconds: undefined,
    maxTokensPerMinute: undefined,
    hasSecret: false,
    previousSecretValidUntil: undefined,
    publicJwk: undefined,
    tlsClientAuthSubjectDn: "CN=reporting,O=Example",
    requireDpop: false,
    disabled: false,
    createdAt: "2030-01-01T00:00:00.000Z",
    updatedAt: "2030-01-01T00:00:00.000Z",
    ...overrides,
  });
  const deps = (client: ClientRecord | undefined): ClientAuthenticationDeps => ({
    issuer: "https://auth.test/auth",
    tokenEndpointUrl: "https://auth.test/auth/oauth/token",
    replayGuard: { useOnce: async () => true },
    clients: { authenticate: async () => undefined, find: async (id) => (id === client?.clientId ? client : undefined) },
  });
  const attempt = (client: ClientRecord | undefined, presented: PresentedCertificate, clientId = "reporting") =>
    authenticateClient(deps(client), { method: "tls_client_auth", clientId, certificate: presented });

  it("authenticates a client by a trusted certificate with its subject", async () => {
    assert.equal((await attempt(record(), certificate())).clientId, "reporting");
    const reordered = certificate({ subject: parseDistinguishedName("cn = reporting, o = Example") });
    assert.equal((await attempt(record(), reordered)).clientId, "reporting", "type case and spaces do not matter");
  });

  const refused: [string, ClientRecord | undefined, PresentedCertificate, RegExp][] = [
    ["an untrusted certificate", record(), certificate({ trusted: false, untrustedReason: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }), /not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
    ["another subject", record(), certificate({ subject: parseDistinguishedName("CN=other,O=Example") }), /^client authentication failed$/],
    ["the subject in reverse order", record(), certificate({ subject: parseDistinguishedName("O=Example,CN=reporting") }), /^client authentication failed$/],
    ["an unknown client", undefined, certificate(), /^client authentication failed$/],
    ["a client without a subject", record({ tlsClientAuthSubjectDn: undefined, hasSecret: true }), certificate(), /^client authentication failed$/],
    ["a disabled client", record({ disabled: true }), certificate(), /^client authentication failed$/],
  ];
  for (const [name, client, presented, description] of refused) {
    it(`refuses ${name} with invalid_client`, async () => {
      await assert.rejects(attempt(client, presented), (err: unknown) => {
        assert.ok(err instanceof OAuthError);
        assert.deepEqual([err.code, err.status], ["invalid_client", 401]);
        assert.match(err.description, description);
        return true;
      });
    });
  }
});
