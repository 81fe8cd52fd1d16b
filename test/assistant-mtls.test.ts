/**
 * The assistant with mutual TLS (RFC 8705) against the real auth provider
 * and services, all three over TLS, the auth provider trusting a client CA
 * (AUTH_CLIENT_CA_FILE): a client registered with `--tls-subject` and a
 * certificate from that CA authenticates with the certificate alone
 * (tls_client_auth) and works end to end over gRPC, Connect and gRPC-Web,
 * its tokens bound to the certificate (cnf.x5t#S256), and to its DPoP key
 * too unless DPoP is off. The bound token without the certificate is
 * refused; a certificate of another subject or CA is refused at the token
 * endpoint; bad certificate settings are usage errors naming them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { cliEnv, runCli, runNode, type CliResult } from "./support/cli.js";
import { bearer, startSystem, transportFor, type TestSystem } from "./support/system.js";
import { makeTestCertificates, missingOpenssl, type TestCertificate, type TestCertificates } from "./support/test-certificates.js";

const skip = await missingOpenssl();
let certs: TestCertificates;
let system: TestSystem;
let botCert: TestCertificate;
const clientId = "cert-bot";

before(async () => {
  if (skip) return;
  certs = await makeTestCertificates();
  botCert = await certs.clientCertificate("cert-bot", [["O", "m2m-grpc tests"], ["CN", "cert-bot"]]);
  system = await startSystem({
    tls: { certFile: certs.server.certFile, keyFile: certs.server.keyFile, caFile: certs.ca.certFile, ca: certs.ca.cert },
    authEnv: { AUTH_CLIENT_CA_FILE: certs.ca.certFile },
  });
  const added = await runNode("auth-provider/admin/main.js", ["client", "add", clientId, "--grant", "note-service:note.read,note.write", "--tls-subject", botCert.subjectDn], {
    DATA_DIR: system.dataDir,
  });
  assert.equal(added.code, 0, added.stderr);
  assert.doesNotMatch(added.stdout, /client_secret/, "a certificate client gets no secret");
});
after(async () => {
  await system?.stop();
  certs?.remove();
});

/** The CLI environment of the certificate client: its id, its certificate and key, the CA; DPoP as `extra` says. */
const certEnv = (extra: Record<string, string | undefined> = {}) =>
  cliEnv(system, {
    ASSISTANT_CA_FILE: certs.ca.certFile,
    ASSISTANT_CLIENT_ID: clientId,
    ASSISTANT_CLIENT_CERT_FILE: botCert.certFile,
    ASSISTANT_CLIENT_KEY_FILE: botCert.keyFile,
    ...extra,
  });

function ok(result: CliResult): string {
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

interface TokenOutput {
  tokenType: string;
  claims: { sub?: string; cnf?: Record<string, string> };
  accessToken: string;
}

const tokenInfo = async (runEnv: Record<string, string | undefined>) =>
  JSON.parse(ok(await runCli(["--output", "json", "token", "--audience", "note-service"], runEnv))) as TokenOutput;

describe("tls_client_auth: the certificate is the credential", { skip }, () => {
  for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
    test(`over ${protocol}: note add, list and get, with tokens bound to the certificate`, async () => {
      const runEnv = certEnv({ ASSISTANT_DPOP: "0", ASSISTANT_PROTOCOL: protocol });
      const { note } = JSON.parse(ok(await runCli(["--output", "json", "note", "add", `mtls over ${protocol}`], runEnv))) as { note: { id: string; createdBy: string } };
      assert.equal(note.createdBy, clientId);
      assert.match(ok(await runCli(["note", "list"], runEnv)), new RegExp(`mtls over ${protocol}`));
      assert.match(ok(await runCli(["note", "get", note.id], runEnv)), new RegExp(`^title:\\s+mtls over ${protocol}$`, "m"));
      const info = await tokenInfo(runEnv);
      assert.equal(info.tokenType, "Bearer");
      assert.equal(info.claims.sub, clientId);
      assert.equal(info.claims.cnf?.["x5t#S256"], botCert.thumbprint);
    });
  }

  test("with DPoP as well: the token is bound to the key and the certificate, and calls work", async () => {
    const runEnv = certEnv();
    ok(await runCli(["note", "add", "mtls and dpop"], runEnv));
    assert.match(ok(await runCli(["--protocol", "connect", "note", "list"], runEnv)), /mtls and dpop/);
    const info = await tokenInfo(runEnv);
    assert.equal(info.tokenType, "DPoP");
    assert.match(info.claims.cnf?.["jkt"] ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.equal(info.claims.cnf?.["x5t#S256"], botCert.thumbprint);
  });

  for (const protocol of ["grpc", "connect"] as const) {
    test(`the bound token over TLS without the certificate (${protocol}) is refused: CERTIFICATE_MISMATCH`, async () => {
      const runEnv = certEnv({ ASSISTANT_DPOP: "0" });
      ok(await runCli(["note", "list"], runEnv));
      const cache = JSON.parse(readFileSync(join(runEnv["XDG_CACHE_HOME"]!, "m2m-grpc", "tokens.json"), "utf8")) as Record<string, { accessToken: string }>;
      const [entry] = Object.values(cache);
      assert.ok(entry, "a token in the cache");
      const withoutCertificate = createClient(NoteService, transportFor(protocol, system.notes.url, [bearer(entry.accessToken)], system.ca));
      try {
        await withoutCertificate.listNotes({ pageSize: 1 }, { timeoutMs: 5000 });
        assert.fail("a certificate-bound token without its certificate must be refused");
      } catch (err) {
        const error = ConnectError.from(err);
        const reason = error.findDetails(AuthErrorSchema)[0]?.reason ?? AuthFailureReason.UNSPECIFIED;
        assert.deepEqual([Code[error.code], AuthFailureReason[reason]], ["Unauthenticated", "CERTIFICATE_MISMATCH"], error.rawMessage);
      }
    });
  }

  test("a certificate with another subject, or from a CA the auth provider does not trust, is refused: exit 4 naming the certificate", async () => {
    const stranger = await certs.clientCertificate("stranger", [["O", "m2m-grpc tests"], ["CN", "stranger"]]);
    const otherCa = await certs.createCa("other-ca");
    const forged = await certs.clientCertificate("forged-bot", [["O", "m2m-grpc tests"], ["CN", "cert-bot"]], { ca: otherCa });
    for (const cert of [stranger, forged]) {
      const result = await runCli(["note", "list"], certEnv({ ASSISTANT_CLIENT_CERT_FILE: cert.certFile, ASSISTANT_CLIENT_KEY_FILE: cert.keyFile }));
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, /invalid_client.*--client-cert/);
      assert.ok(result.stderr.includes(cert.subjectDn), result.stderr);
    }
  });
});

describe("certificate settings", { skip }, () => {
  const usage = async (args: string[], extra: Record<string, string | undefined>, message: RegExp) => {
    const result = await runCli([...args, "note", "list"], certEnv(extra));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(result.stdout, "");
  };

  test("a certificate without its key is a usage error naming both settings", () =>
    usage([], { ASSISTANT_CLIENT_KEY_FILE: undefined }, /^assistant: --client-key: is not set but --client-cert is: give both --client-cert \(ASSISTANT_CLIENT_CERT_FILE\) and --client-key \(ASSISTANT_CLIENT_KEY_FILE\)/));

  test("a key that does not match the certificate is a usage error", async () => {
    const other = await certs.clientCertificate("other-key", [["CN", "other"]]);
    await usage(["--client-key", other.keyFile], {}, /^assistant: --client-key: ".*other-key-key\.pem" does not match the certificate in ASSISTANT_CLIENT_CERT_FILE/);
  });

  test("an unreadable certificate file is a usage error naming it", () =>
    usage(["--client-cert", join(certs.dir, "no-such.pem")], {}, /^assistant: --client-cert: cannot read ".*no-such\.pem": no such file/));
});
