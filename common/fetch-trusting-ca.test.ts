/**
 * createFetchTrustingCa against a local HTTPS server with a self-signed certificate (made with openssl): the
 * trusted CA works for what the callers send, another CA fails as fetch fails (TypeError "fetch failed" caused
 * by the TLS error and its code), an https URL on a cleartext port reads as "does not speak TLS", and a client
 * certificate is presented when the server asks for one.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createFetchTrustingCa } from "./fetch-trusting-ca.js";
import { describeTlsFailure } from "./tls.js";

const dir = mkdtempSync(join(tmpdir(), "fetch-trusting-ca-"));
let tlsServer: https.Server;
let plainServer: http.Server;
let trusted: string;
let other: string;
let selfSignedPair: { cert: string; key: string };

function selfSigned(name: string): { cert: string; key: string } {
  const [certFile, keyFile] = [join(dir, `${name}.pem`), join(dir, `${name}-key.pem`)];
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${name}`];
  const result = spawnSync("openssl", [...args, "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", keyFile, "-out", certFile], { encoding: "utf8" });
  assert.equal(result.status, 0, `openssl: ${result.stderr}`);
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

const urlOf = (server: http.Server | https.Server, scheme: string) => `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;

before(async () => {
  const pair = selfSigned("server");
  selfSignedPair = pair;
  trusted = pair.cert;
  other = selfSigned("other").cert;
  tlsServer = https.createServer(pair, (req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: req.method, body, contentType: req.headers["content-type"], accept: req.headers["accept"] }));
    });
  });
  plainServer = http.createServer((_req, res) => res.end("cleartext"));
  await Promise.all([tlsServer, plainServer].map((s) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))));
});

after(async () => {
  tlsServer.closeAllConnections();
  plainServer.closeAllConnections();
  await Promise.all([tlsServer, plainServer].map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

test("trusting the server's CA: a form POST with headers and a signal gets the JSON answer", async () => {
  const fetchTrusting = createFetchTrustingCa(trusted);
  const response = await fetchTrusting(urlOf(tlsServer, "https"), {
    method: "POST",
    headers: { accept: "application/json" },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(await response.json(), {
    method: "POST",
    body: "grant_type=client_credentials",
    contentType: "application/x-www-form-urlencoded;charset=UTF-8",
    accept: "application/json",
  });
});

test("http URLs work too", async () => {
  const response = await createFetchTrustingCa(trusted)(urlOf(plainServer, "http"));
  assert.equal(await response.text(), "cleartext");
});

test("trusting another CA: fetch failed, caused by the untrusted certificate, described as such", async () => {
  const url = urlOf(tlsServer, "https");
  await assert.rejects(createFetchTrustingCa(other)(url), (err: unknown) => {
    assert.ok(err instanceof TypeError && err.message === "fetch failed", String(err));
    assert.equal((err.cause as { code?: string }).code, "DEPTH_ZERO_SELF_SIGNED_CERT");
    assert.match(describeTlsFailure(err, url, "trust it") ?? "", /^TLS: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\) — trust it$/);
    return true;
  });
});

test("an https URL on a cleartext port is described as not speaking TLS", async () => {
  const url = urlOf(plainServer, "https");
  await assert.rejects(createFetchTrustingCa(trusted)(url), (err: unknown) => {
    assert.match(describeTlsFailure(err, url, "trust it") ?? "", /does not speak TLS — use an http:\/\/ URL/);
    return true;
  });
});

test("an aborted signal rejects with the signal's reason", async () => {
  const reason = new Error("stop");
  const abort = new AbortController();
  abort.abort(reason);
  await assert.rejects(createFetchTrustingCa(trusted)(urlOf(tlsServer, "https"), { signal: abort.signal }), (err) => err === reason);
});

test("a client certificate is presented to a server that asks for one; without it, none is", async () => {
  const client = selfSigned("client");
  const server = https.createServer({ ...selfSignedPair, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as import("node:tls").TLSSocket).getPeerCertificate();
    res.end(peer.subject?.CN ?? "none");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const url = urlOf(server, "https");
    assert.equal(await (await createFetchTrustingCa(trusted, client)(url)).text(), "client");
    assert.equal(await (await createFetchTrustingCa(trusted)(url)).text(), "none");
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
