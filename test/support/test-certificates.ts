/**
 * Certificates for TLS and mutual-TLS tests, made with openssl (Debian
 * package `openssl`) in a temporary directory: a CA, a server certificate it
 * signed for localhost and 127.0.0.1, and client certificates with a given
 * subject, signed by that CA or by another one. All keys are EC P-256, valid
 * two days. Outside CI a machine without openssl skips the tests that need it
 * (missingOpenssl says what to install); in CI (CI set) they fail instead.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { certificateThumbprint } from "../../auth-provider/clients/client-certificate.js";
import { runCommand } from "./commands.js";
import { tempDataDir } from "./processes.js";

/** A certificate and its key, as files and as PEM text. */
export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
  /** RFC 8705 x5t#S256: base64url SHA-256 of the certificate's DER (what a certificate-bound token's cnf names). */
  readonly thumbprint: string;
  /** Its subject as `auth-admin client add --tls-subject` takes it: RFC 4514 text in the certificate's order. */
  readonly subjectDn: string;
}

/** An attribute of a subject, in certificate order: e.g. ["O", "Example"], ["CN", "reporting"]. */
export type SubjectAttribute = readonly [type: string, value: string];

/** A certificate authority that signs certificates. */
export interface TestCa extends TestCertificate {
  /** Short name, used in file names. */
  readonly name: string;
}

/** The certificates of one test file, in one temporary directory. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA that signs the server certificate and, by default, client certificates. */
  readonly ca: TestCa;
  /** For localhost and 127.0.0.1 (TLS_CERT_FILE / TLS_KEY_FILE). */
  readonly server: TestCertificate;
  /** Another CA, e.g. for a client certificate the server must not trust. */
  createCa(name: string): Promise<TestCa>;
  /** A client certificate (extendedKeyUsage clientAuth) with subject, signed by options.ca (default: ca). */
  clientCertificate(name: string, subject: readonly SubjectAttribute[], options?: { ca?: TestCa }): Promise<TestCertificate>;
  /** Deletes the directory. */
  remove(): void;
}

/** Why certificate tests cannot run here (openssl missing), or undefined when they can. Throws in CI, where they must run. */
export async function missingOpenssl(): Promise<string | undefined> {
  const probe = await runCommand("openssl", ["version"], { timeoutMs: 10_000 });
  if (probe.code === 0) return undefined;
  const reason = "openssl is not installed (apt-get install openssl)";
  if (process.env["CI"]) throw new Error(`CI must run the certificate tests: ${reason}`);
  return reason;
}

/** Makes a CA and a server certificate in a new temporary directory. */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const temp = tempDataDir();
  const dir = temp.path;
  let serial = 0;
  const file = (name: string) => join(dir, name);

  const createCa = async (name: string): Promise<TestCa> => {
    writeFileSync(
      file(`${name}.cnf`),
      `[req]\nprompt = no\ndistinguished_name = dn\nx509_extensions = ext\n[dn]\nCN = m2m-grpc test CA ${name}\n` +
        "[ext]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n",
    );
    await openssl(["req", "-x509", ...ecKey, "-config", file(`${name}.cnf`), "-days", "2", "-keyout", file(`${name}-key.pem`), "-out", file(`${name}.pem`)]);
    return { name, ...read(file(`${name}.pem`), file(`${name}-key.pem`)) };
  };

  // A certificate for subject signed by ca, with the extensions given (an openssl [ext] section).
  const signed = async (name: string, subject: readonly SubjectAttribute[], ca: TestCa, extensions: string): Promise<TestCertificate> => {
    // One line per attribute in certificate order; a repeated type gets a distinct prefix (openssl's "0.OU", "1.OU").
    const dn = subject.map(([type, value], i) => `${i}.${type} = ${value}`).join("\n");
    writeFileSync(file(`${name}.cnf`), `[req]\nprompt = no\nutf8 = yes\nstring_mask = utf8only\ndistinguished_name = dn\n[dn]\n${dn}\n`);
    writeFileSync(file(`${name}-ext.cnf`), `[ext]\nbasicConstraints = CA:FALSE\nauthorityKeyIdentifier = keyid\n${extensions}`);
    await openssl(["req", "-new", ...ecKey, "-config", file(`${name}.cnf`), "-keyout", file(`${name}-key.pem`), "-out", file(`${name}.csr`)]);
    await openssl([
      "x509", "-req", "-in", file(`${name}.csr`), "-CA", ca.certFile, "-CAkey", ca.keyFile, "-set_serial", String(++serial), "-days", "2",
      "-extfile", file(`${name}-ext.cnf`), "-extensions", "ext", "-out", file(`${name}.pem`),
    ]);
    return read(file(`${name}.pem`), file(`${name}-key.pem`));
  };

  try {
    const ca = await createCa("ca");
    const server = await signed("server", [["CN", "localhost"]], ca, "keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n");
    return {
      dir,
      ca,
      server,
      createCa,
      clientCertificate: (name, subject, options = {}) =>
        signed(name, subject, options.ca ?? ca, "keyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\n"),
      remove: () => temp.remove(),
    };
  } catch (err) {
    temp.remove();
    throw err;
  }
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

async function openssl(args: string[]): Promise<void> {
  const result = await runCommand("openssl", args, { timeoutMs: 10_000 });
  assert.equal(result.code, 0, `openssl ${args.join(" ")}: ${result.stderr}`);
}

function read(certFile: string, keyFile: string): TestCertificate {
  const cert = readFileSync(certFile, "utf8");
  const x509 = new X509Certificate(cert);
  // Node prints the subject one RDN per line in certificate order, values already escaped as RFC 4514 wants.
  const subjectDn = x509.subject.split("\n").join(",");
  return { certFile, keyFile, cert, key: readFileSync(keyFile, "utf8"), thumbprint: certificateThumbprint(x509.raw), subjectDn };
}
