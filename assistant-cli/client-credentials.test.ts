/**
 * Which credentials the assistant uses: a private key, a secret, the TLS client certificate (ASSISTANT_CLIENT_ID
 * alone, with --client-cert), or clients.json; a contradictory or incomplete set is a usage error.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CliError } from "../common/cli-error.js";
import type { ClientCertificate } from "../common/client-certificate.js";
import { loadClientCredentials, usesCertificate, usesPrivateKey } from "./client-credentials.js";

const certificate: ClientCertificate = { cert: "", key: "", subject: "O=m2m-grpc, CN=cert-bot", thumbprint: "t" };
const dataDir = mkdtempSync(join(tmpdir(), "m2m-grpc-credentials-"));
writeFileSync(join(dataDir, "clients.json"), JSON.stringify({ assistant: { clientId: "assistant", clientSecret: "s".repeat(43) } }));
const usage = (pattern: RegExp) => (err: unknown) => err instanceof CliError && err.exitCode === 2 && pattern.test(err.message);

test("a client id alone with a client certificate authenticates with the certificate (tls_client_auth)", () => {
  const credentials = loadClientCredentials({ ASSISTANT_CLIENT_ID: "cert-bot" }, dataDir, certificate);
  assert.ok(usesCertificate(credentials));
  assert.deepEqual(credentials, { clientId: "cert-bot", certificateSubject: "O=m2m-grpc, CN=cert-bot" });
});

test("a secret is used when there is one, with or without a certificate", () => {
  const env = { ASSISTANT_CLIENT_ID: "bot", ASSISTANT_CLIENT_SECRET: "x".repeat(43) };
  for (const cert of [undefined, certificate]) {
    const credentials = loadClientCredentials(env, dataDir, cert);
    assert.ok(!usesCertificate(credentials) && !usesPrivateKey(credentials));
    assert.equal(credentials.clientSecret, "x".repeat(43));
  }
});

test("without a client id, a certificate alone does not choose the client: clients.json does", () => {
  assert.deepEqual(loadClientCredentials({}, dataDir, certificate), { clientId: "assistant", clientSecret: "s".repeat(43) });
});

test("a client id alone without a certificate is a usage error naming every way to complete it", () => {
  assert.throws(() => loadClientCredentials({ ASSISTANT_CLIENT_ID: "bot" }, dataDir), usage(/ASSISTANT_CLIENT_SECRET.*ASSISTANT_PRIVATE_KEY_FILE.*--client-cert and --client-key/));
});

test("a private key file wins over the certificate for client authentication, and still refuses a secret beside it", () => {
  assert.throws(
    () => loadClientCredentials({ ASSISTANT_CLIENT_ID: "bot", ASSISTANT_PRIVATE_KEY_FILE: join(dataDir, "none.pem") }, dataDir, certificate),
    usage(/cannot read ASSISTANT_PRIVATE_KEY_FILE/),
  );
  assert.throws(() => loadClientCredentials({ ASSISTANT_CLIENT_ID: "bot", ASSISTANT_CLIENT_SECRET: "x", ASSISTANT_PRIVATE_KEY_FILE: "k.pem" }, dataDir, certificate), usage(/not both/));
});
