/**
 * readClientCertificate with certificates made by openssl for this run: a matching pair is read (with the
 * subject and the x5t#S256 thumbprint of the leaf), and each bad file is a ConfigError naming its setting.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readClientCertificate } from "./client-certificate.js";
import { ConfigError } from "./env.js";

const dir = mkdtempSync(join(tmpdir(), "client-certificate-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(name: string): { certFile: string; keyFile: string } {
  const [certFile, keyFile] = [join(dir, `${name}.pem`), join(dir, `${name}-key.pem`)];
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/O=m2m-grpc/CN=${name}`, "-days", "1"];
  const result = spawnSync("openssl", [...args, "-keyout", keyFile, "-out", certFile], { encoding: "utf8" });
  assert.equal(result.status, 0, `openssl: ${result.stderr}`);
  return { certFile, keyFile };
}

const mine = selfSigned("bot");
const other = selfSigned("other");
const files = (certFile: string, keyFile: string) => ({ certSetting: "--client-cert", certFile, keySetting: "--client-key", keyFile });
const configError = (setting: string, pattern: RegExp) => (err: unknown) => err instanceof ConfigError && err.setting === setting && pattern.test(err.message);

test("a certificate and its key are read, with the subject and the thumbprint a bound token names", () => {
  const certificate = readClientCertificate(files(mine.certFile, mine.keyFile));
  assert.match(certificate.cert, /BEGIN CERTIFICATE/);
  assert.match(certificate.key, /PRIVATE KEY/);
  assert.equal(certificate.subject, "O=m2m-grpc,CN=bot");
  const der = new X509Certificate(readFileSync(mine.certFile)).raw;
  assert.equal(certificate.thumbprint, createHash("sha256").update(der).digest("base64url"));
});

test("a key that does not belong to the certificate names both settings", () => {
  assert.throws(() => readClientCertificate(files(mine.certFile, other.keyFile)), configError("--client-key", /does not match the certificate in --client-cert/));
});

test("a missing or non-PEM file names its setting", () => {
  assert.throws(() => readClientCertificate(files(join(dir, "none.pem"), mine.keyFile)), configError("--client-cert", /cannot read ".*none\.pem": no such file/));
  assert.throws(() => readClientCertificate(files(mine.certFile, join(dir, "none.pem"))), configError("--client-key", /no such file/));
  writeFileSync(join(dir, "junk.pem"), "junk\n");
  assert.throws(() => readClientCertificate(files(join(dir, "junk.pem"), mine.keyFile)), configError("--client-cert", /holds no PEM certificate/));
  assert.throws(() => readClientCertificate(files(mine.certFile, join(dir, "junk.pem"))), configError("--client-key", /not an unencrypted PEM private key/));
  assert.throws(() => readClientCertificate(files(mine.keyFile, mine.keyFile)), configError("--client-cert", /holds no PEM certificate/), "the key where the certificate should be");
});
