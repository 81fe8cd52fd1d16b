/**
 * Mutual TLS at the real auth provider (RFC 8705): with TLS on and
 * AUTH_CLIENT_CA_FILE set it asks every connection for a client certificate
 * without requiring one. A client registered with `auth-admin client add
 * --tls-subject` authenticates with a certificate from that CA carrying that
 * subject and only client_id in the body (tls_client_auth), and its token is
 * bound to the certificate (cnf.x5t#S256); no certificate, a certificate of
 * another CA or of another subject is invalid_client, counted by the failed
 * authentication limiter. A client authenticating with its secret is not bound
 * even when it presents a trusted certificate. Discovery offers
 * tls_client_auth and certificate-bound tokens; introspection shows the cnf;
 * AUTH_CLIENT_CA_FILE without TLS or unreadable stops the provider.
 */
import assert from "node:assert/strict";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeJwt } from "jose";
import { loadAuthProviderConfig } from "../auth-provider/config.js";
import { ConfigError } from "../common/env.js";
import { basicAuthorization, readTokenAnswer, type TokenAnswer } from "./support/auth-provider.js";
import { createDpopKey, signProof } from "./support/dpop-proofs.js";
import { authAdmin } from "./support/oauth-client.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { makeTestCertificates, missingOpenssl, type TestCertificate, type TestCertificates } from "./support/test-certificates.js";

const missing = await missingOpenssl();

let certs: TestCertificates;
let data: { path: string; remove(): void };
let provider: RunningProcess;
let issuer: string;
let reporting: TestCertificate;
let otherSubject: TestCertificate;
let otherCa: TestCertificate;
let secretClientCert: TestCertificate;
let batchSecret: string;

before(async () => {
  if (missing) return;
  certs = await makeTestCertificates();
  data = tempDataDir();
  reporting = await certs.clientCertificate("reporting", [["O", "Example"], ["CN", "reporting"]]);
  otherSubject = await certs.clientCertificate("other", [["O", "Example"], ["CN", "intruder"]]);
  otherCa = await certs.clientCertificate("foreign", [["O", "Example"], ["CN", "reporting"]], { ca: await certs.createCa("foreign-ca") });
  secretClientCert = await certs.clientCertificate("batch", [["O", "Example"], ["CN", "batch"]]);
  provider = await startProcess("auth-provider/main.js", {
    env: {
      AUTH_PORT: "0",
      AUTH_HOST: "127.0.0.1",
      DATA_DIR: data.path,
      TLS_CERT_FILE: certs.server.certFile,
      TLS_KEY_FILE: certs.server.keyFile,
      AUTH_CLIENT_CA_FILE: certs.ca.certFile,
      AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: "3",
    },
  });
  issuer = String(provider.logs().find((l) => l["msg"] === "listening")!["issuer"]);
  const admin = (...args: string[]) => authAdmin({ DATA_DIR: data.path }, ...args);
  const added = await admin("client", "add", "reporting", "--grant", "note-service:note.read", "--tls-subject", reporting.subjectDn);
  assert.ok(!("clientSecret" in added), "no secret for a certificate client");
  await admin("client", "add", "limited", "--grant", "note-service:note.read", "--tls-subject", "O=Example,CN=limited");
  batchSecret = String((await admin("client", "add", "batch", "--grant", "note-service:note.read"))["clientSecret"]);
});

after(async () => {
  await provider?.stop();
  data?.remove();
  certs?.remove();
});

/** POSTs a form to the auth provider over a new TLS connection, presenting cert when given. */
function post(path: string, fields: Record<string, string>, options: { cert?: TestCertificate; headers?: Record<string, string> } = {}): Promise<TokenAnswer> {
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: provider.port,
        path: `/auth${path}`,
        method: "POST",
        ca: certs.ca.cert,
        ...(options.cert ? { cert: options.cert.cert, key: options.cert.key } : {}),
        agent: false, // a fresh connection each time: no TLS session or certificate carried over
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") headers.set(name, value);
          resolve(readTokenAnswer(new Response(Buffer.concat(chunks).toString("utf8"), { status: res.statusCode!, headers })));
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const grant = { grant_type: "client_credentials", audience: "note-service", scope: "note.read" };

describe("tls_client_auth at the token endpoint", { skip: missing }, () => {
  it("discovery offers tls_client_auth and certificate-bound tokens", async () => {
    const response = await fetchMetadata();
    for (const field of ["token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported"]) {
      assert.deepEqual(response[field], ["client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth"], field);
    }
    assert.equal(response["tls_client_certificate_bound_access_tokens"], true);
  });

  it("the right certificate and client_id alone: a token bound to the certificate (cnf.x5t#S256)", async () => {
    const answer = await post("/oauth/token", { ...grant, client_id: "reporting" }, { cert: reporting });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(String(answer.json!["token_type"]).toLowerCase(), "bearer");
    const claims = decodeJwt(String(answer.json!["access_token"]));
    assert.deepEqual(claims["cnf"], { "x5t#S256": reporting.thumbprint });
    assert.equal(claims.sub, "reporting");

    const introspected = await post("/oauth/introspect", { token: String(answer.json!["access_token"]), client_id: "reporting" }, { cert: reporting });
    assert.equal(introspected.status, 200, introspected.text);
    assert.equal(introspected.json!["active"], true);
    assert.deepEqual(introspected.json!["cnf"], { "x5t#S256": reporting.thumbprint });
    assert.equal(introspected.json!["token_type"], "Bearer");
  });

  it("with a DPoP proof too: bound to both, token_type DPoP", async () => {
    const key = await createDpopKey();
    const proof = signProof(key, { url: `${issuer}/oauth/token` });
    const answer = await post("/oauth/token", { ...grant, client_id: "reporting" }, { cert: reporting, headers: { dpop: proof } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json!["token_type"], "DPoP");
    assert.deepEqual(decodeJwt(String(answer.json!["access_token"]))["cnf"], { jkt: key.thumbprint, "x5t#S256": reporting.thumbprint });
  });

  const refused: [string, () => TestCertificate | undefined, RegExp][] = [
    ["no certificate", () => undefined, /no client certificate was presented/],
    ["a certificate of another CA", () => otherCa, /the client certificate is not trusted \(\w+\)/],
    ["a certificate with another subject", () => otherSubject, /^client authentication failed$/],
  ];
  for (const [what, cert, description] of refused) {
    it(`${what}: 401 invalid_client`, async () => {
      const presented = cert();
      const answer = await post("/oauth/token", { ...grant, client_id: "reporting" }, presented ? { cert: presented } : {});
      assert.equal(answer.status, 401, answer.text);
      assert.equal(answer.json!["error"], "invalid_client");
      assert.match(String(answer.json!["error_description"]), description);
    });
  }

  it("counts failures like other methods: the limit per client and address answers 429 slow_down", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post("/oauth/token", { ...grant, client_id: "limited" }, { cert: otherSubject })).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });

  it("a client authenticating with its secret is not bound, even with a trusted certificate", async () => {
    const answer = await post("/oauth/token", grant, { cert: secretClientCert, headers: { authorization: basicAuthorization("batch", batchSecret) } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(decodeJwt(String(answer.json!["access_token"]))["cnf"], undefined);
  });

  it("a certificate client may not also send a secret or an assertion as tls_client_auth", async () => {
    const answer = await post("/oauth/token", { ...grant, client_id: "reporting", client_secret: "x".repeat(43) }, { cert: reporting });
    assert.equal(answer.status, 401, "a secret makes it client_secret_post, which this client has no secret for");
    assert.equal(answer.json!["error"], "invalid_client");
  });
});

describe("AUTH_CLIENT_CA_FILE", { skip: missing }, () => {
  it("without TLS, or unreadable, or not a certificate: a ConfigError naming it", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ AUTH_CLIENT_CA_FILE: certs.ca.certFile }, /is set but TLS is off: client certificates need TLS; set TLS_CERT_FILE and TLS_KEY_FILE/],
      [{ AUTH_CLIENT_CA_FILE: join(certs.dir, "none.pem"), TLS_CERT_FILE: certs.server.certFile, TLS_KEY_FILE: certs.server.keyFile }, /cannot read ".*none\.pem": no such file/],
      [{ AUTH_CLIENT_CA_FILE: certs.ca.keyFile, TLS_CERT_FILE: certs.server.certFile, TLS_KEY_FILE: certs.server.keyFile }, /holds no PEM certificate/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadAuthProviderConfig(env),
        (err: unknown) => err instanceof ConfigError && err.setting === "AUTH_CLIENT_CA_FILE" && message.test(err.message),
      );
    }
    const config = loadAuthProviderConfig({ AUTH_CLIENT_CA_FILE: certs.ca.certFile, TLS_CERT_FILE: certs.server.certFile, TLS_KEY_FILE: certs.server.keyFile });
    assert.equal(config.clientCa, certs.ca.cert);
  });

  it("without TLS stops the auth provider with exit code 2, naming it", async () => {
    const dir = tempDataDir();
    try {
      await assert.rejects(startProcess("auth-provider/main.js", { env: { AUTH_PORT: "0", DATA_DIR: dir.path, AUTH_CLIENT_CA_FILE: certs.ca.certFile } }), (err: Error) => {
        assert.match(err.message, /exited with 2 before listening/);
        assert.match(err.message, /auth-provider: configuration error: AUTH_CLIENT_CA_FILE: is set but TLS is off/);
        return true;
      });
    } finally {
      dir.remove();
    }
  });
});

async function fetchMetadata(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: provider.port, path: "/auth/.well-known/oauth-authorization-server", ca: certs.ca.cert, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve(JSON.parse(text) as Record<string, unknown>));
    });
    req.on("error", reject);
    req.end();
  });
}
