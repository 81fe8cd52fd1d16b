/**
 * Subject DNs for tls_client_auth: parsing what an operator types, the
 * canonical form it is stored in, reading a certificate's subject in its own
 * order, and exact comparison.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { canonicalSubjectDn, certificateSubject, formatDistinguishedName, parseDistinguishedName, sameDistinguishedName } from "./tls-subject-dn.js";

// Made with: openssl req -x509 -utf8 -multivalue-rdn -subj '/C=DE/O=Ex, ample+OU=Unit "x"/CN=report bot #1 é'
const certificate = new X509Certificate(`-----BEGIN CERTIFICATE-----
MIIB7zCCAZWgAwIBAgIUQRlnMHP2zGNk8OGTfyUGCzFiZzAwCgYIKoZIzj0EAwIw
TTELMAkGA1UEBhMCREUxIzAPBgNVBAsMCFVuaXQgIngiMBAGA1UECgwJRXgsIGFt
cGxlMRkwFwYDVQQDDBByZXBvcnQgYm90ICMxIMOpMB4XDTI2MTEyOTE3MjUzMFoX
DTM2MTEyNjE3MjUzMFowTTELMAkGA1UEBhMCREUxIzAPBgNVBAsMCFVuaXQgIngi
MBAGA1UECgwJRXgsIGFtcGxlMRkwFwYDVQQDDBByZXBvcnQgYm90ICMxIMOpMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2aymxAkZwBYfLRLF7+6ggk8OkVDY7Zsl
tjJ72Fh6UICCpLxCXXzfH/7QjIRkD361Z9Y6MDrbyAoTEq+RG5jwraNTMFEwHQYD
VR0OBBYEFLX/bSZLIyTC/vzEuyUNCSCvxRL4MB8GA1UdIwQYMBaAFLX/bSZLIyTC
/vzEuyUNCSCvxRL4MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh
AL4lH7BWH/sjzaEVYCaSgCayDVTJ7CD90KgGEsDCei/TAiB2jAB/gMnXdDK+S48k
A6CvE24odzVS/3TYbD+1ICO0vw==
-----END CERTIFICATE-----`);

describe("subject DNs", () => {
  it("reads a certificate's subject in the certificate's order, multi-valued RDNs and escapes included", () => {
    const subject = certificateSubject(certificate);
    assert.deepEqual(subject, [
      [{ type: "C", value: "DE" }],
      [
        { type: "OU", value: 'Unit "x"' },
        { type: "O", value: "Ex, ample" },
      ],
      [{ type: "CN", value: "report bot #1 é" }],
    ]);
    assert.equal(formatDistinguishedName(subject), 'C=DE,OU=Unit \\"x\\"+O=Ex\\, ample,CN=report bot #1 é');
  });

  it("matches what an operator types: spaces around separators, type case and attribute order in an RDN do not matter", () => {
    const subject = certificateSubject(certificate);
    for (const typed of ['C=DE,OU=Unit \\"x\\"+O=Ex\\, ample,CN=report bot #1 é', 'c = DE , O=Ex\\2C ample + ou=Unit \\22x\\22 , CN=report bot #1 \\C3\\A9']) {
      assert.ok(sameDistinguishedName(parseDistinguishedName(typed), subject), typed);
    }
    for (const other of ["CN=report bot #1 é,O=Ex\\, ample+OU=Unit \\\"x\\\",C=DE", "C=DE,O=Ex\\, ample,CN=report bot #1 é", "C=DE,OU=Unit \\\"x\\\"+O=Ex\\, ample,CN=Report bot #1 é", "C=DE"]) {
      assert.ok(!sameDistinguishedName(parseDistinguishedName(other), subject), other);
    }
  });

  it("keeps one canonical form", () => {
    assert.equal(canonicalSubjectDn(" CN = reporting ,  O = Example "), "CN=reporting,O=Example");
    assert.equal(canonicalSubjectDn("CN=\\ lead\\, trail\\ "), "CN=\\ lead\\, trail\\ ");
    assert.equal(canonicalSubjectDn("CN=\\#1 a#b,2.5.4.10=Ex\\+a"), "CN=\\#1 a#b,2.5.4.10=Ex\\+a");
    assert.equal(canonicalSubjectDn(canonicalSubjectDn('O=a"b<c>;d=e')), 'O=a\\"b\\<c\\>\\;d\\=e');
  });

  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["reporting", /is not TYPE=value/],
    ["CN=a,,O=b", /is not TYPE=value/],
    ["C N=a", /neither a name/],
    ["CN=", /has no value/],
    ["CN=#04024869", /in hex/],
    ["CN=a\\", /lone backslash/],
    ["CN=\\FF", /not UTF-8/],
    [`CN=${"x".repeat(1100)}`, /longer than 1024/],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text.slice(0, 20))}`, () => {
      assert.throws(() => parseDistinguishedName(text), (err: unknown) => err instanceof TypeError && message.test(err.message));
    });
  }
});
