/**
 * Sender-constrained tokens against a real notes service over TLS (h2 and
 * HTTP/1.1 by ALPN on one port), whose keys come from a loopback JWKS this
 * test controls, so that it mints DPoP-bound (cnf.jkt) and certificate-bound
 * (cnf.x5t#S256) tokens itself. DPoP calls work over gRPC, Connect (POST and
 * GET) and gRPC-Web; every way of misusing a DPoP token is refused
 * UNAUTHENTICATED with its AuthError reason and a DPoP challenge; a
 * certificate-bound token works only over a connection with its certificate,
 * over HTTP/2 and HTTP/1.1, while clients without a certificate are served as
 * before; a watch stream is checked once, at its start; a proof may name the
 * service's public URL (NOTES_PUBLIC_URLS) instead. Certificates come from
 * test-certificates.ts (openssl): a CA, the server's, two client certificates.
 * (The end-to-end tests with the real auth provider and the assistant live
 * elsewhere.)
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { trustedCertificates } from "../common/tls.js";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { ChangeType, NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { createDpopKey, dpopAuth, signProof, type DpopTestKey } from "./support/dpop-proofs.js";
import { createSigningKey, signToken, type TestSigningKey } from "./support/jwks-server.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { startProviderDocumentsServer, type ProviderDocumentsServer } from "./support/provider-documents-server.js";
import { printSummary } from "./support/summary-table.js";
import { bearer } from "./support/system.js";
import { makeTestCertificates, missingOpenssl, type TestCertificate, type TestCertificates } from "./support/test-certificates.js";
import { accessClaims } from "./support/tokens.js";

type Protocol = "grpc" | "connect" | "connect-get" | "grpc-web" | "connect-h1";
type ClientCert = Pick<TestCertificate, "cert" | "key"> | undefined;

const skip = await missingOpenssl();
const publicUrl = "https://notes.public.example";
const dataDir = tempDataDir();
const summary: { case: string; expected: string; observed: string }[] = [];
let certs: TestCertificates;
/** Two client certificates: the one tokens are bound to, and another (both signed by the test CA; no CA is consulted). */
let clients: [TestCertificate, TestCertificate];
let docs: ProviderDocumentsServer;
let signer: TestSigningKey;
let notes: RunningProcess;
let baseUrl: string;
let dpopKey: DpopTestKey;
let otherKey: DpopTestKey;

before(async () => {
  if (skip) return;
  certs = await makeTestCertificates();
  clients = [await certs.clientCertificate("assistant", [["CN", "assistant"]]), await certs.clientCertificate("someone-else", [["CN", "someone-else"]])];
  signer = await createSigningKey("k1");
  docs = await startProviderDocumentsServer([signer.publicJwk]);
  notes = await startProcess("notes/main.js", {
    env: {
      DATA_DIR: dataDir.path,
      AUTH_ISSUER: docs.issuer,
      NOTES_PORT: "0",
      NOTES_HOST: "127.0.0.1",
      TLS_CERT_FILE: certs.server.certFile,
      TLS_KEY_FILE: certs.server.keyFile,
      // As behind a proxy: proofs may also name the method under this URL.
      NOTES_PUBLIC_URLS: publicUrl,
    },
  });
  baseUrl = `https://127.0.0.1:${notes.port}`;
  dpopKey = await createDpopKey();
  otherKey = await createDpopKey();
});
after(async () => {
  await notes?.stop();
  await docs?.close();
  certs?.remove();
  dataDir.remove();
  if (!skip) printSummary("sender-constrained tokens at a notes service over TLS", summary);
});

/** A transport over TLS trusting the test CA, presenting `clientCert` when given. */
function transport(protocol: Protocol, interceptors: Interceptor[], clientCert?: ClientCert): Transport {
  const nodeOptions = { ca: trustedCertificates(certs.ca.cert), ...(clientCert === undefined ? {} : { cert: clientCert.cert, key: clientCert.key }) };
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors, nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "2", interceptors, nodeOptions });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "2", interceptors, nodeOptions });
    case "connect-get":
      return createConnectTransport({ baseUrl, httpVersion: "2", useHttpGet: true, interceptors, nodeOptions });
    case "connect-h1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors, nodeOptions });
  }
}

const tokenBoundTo = (cnf: Record<string, string> | undefined, scopes = ["note.read", "note.write"]) =>
  signToken(signer, accessClaims(docs.issuer, "note-service", scopes, cnf === undefined ? {} : { cnf }));

type Outcome = "OK" | { code: Code; reason: AuthFailureReason; message: string; challenge: string };

async function listNotes(protocol: Protocol, interceptors: Interceptor[], clientCert?: ClientCert): Promise<Outcome> {
  try {
    await createClient(NoteService, transport(protocol, interceptors, clientCert)).listNotes({ pageSize: 1 }, { timeoutMs: 5000 });
    return "OK";
  } catch (err) {
    const error = ConnectError.from(err);
    return {
      code: error.code,
      reason: error.findDetails(AuthErrorSchema)[0]?.reason ?? AuthFailureReason.UNSPECIFIED,
      message: error.rawMessage,
      challenge: error.metadata.get("www-authenticate") ?? "",
    };
  }
}

/** Polls `probe` every 20 ms for up to 2 s (log lines arrive through a pipe, a moment after the answer). */
async function waitFor(probe: () => boolean): Promise<boolean> {
  for (let waited = 0; waited < 2000; waited += 20) {
    if (probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return probe();
}

const text = (outcome: Outcome) => (outcome === "OK" ? "OK" : `${Code[outcome.code]} ${AuthFailureReason[outcome.reason]}`);
const listUrl = () => `${baseUrl}/m2m.notes.v1.NoteService/ListNotes`;

function expectRefused(name: string, outcome: Outcome, reason: AuthFailureReason, message: RegExp, challenge: RegExp): void {
  summary.push({ case: name, expected: `UNAUTHENTICATED ${AuthFailureReason[reason]}`, observed: text(outcome) });
  assert.ok(outcome !== "OK", `${name}: refused`);
  assert.equal(outcome.code, Code.Unauthenticated, name);
  assert.equal(outcome.reason, reason, `${name}: ${outcome.message}`);
  assert.match(outcome.message, message, name);
  assert.match(outcome.challenge, challenge, name);
}

const invalidProof = (description: RegExp) => new RegExp(`^DPoP error="invalid_dpop_proof", error_description="[^"]*${description.source}[^"]*", algs="ES256 [^"]*"$`);

describe("DPoP-bound tokens", { skip }, () => {
  for (const protocol of ["grpc", "connect", "connect-get", "grpc-web", "connect-h1"] as const) {
    test(`a good proof per call over ${protocol}: OK, twice (the second from the verified-token cache, its proof checked)`, async () => {
      const token = await tokenBoundTo({ jkt: dpopKey.thumbprint });
      const auth = [dpopAuth(token, dpopKey, { useHttpGet: protocol === "connect-get" })];
      const first = await listNotes(protocol, auth);
      const second = await listNotes(protocol, auth);
      summary.push({ case: `DPoP over ${protocol}`, expected: "OK OK", observed: `${text(first)} ${text(second)}` });
      assert.equal(first, "OK");
      assert.equal(second, "OK");
      if (protocol === "grpc") {
        const logged = await waitFor(() => notes.logs().some((l) => l["msg"] === "call" && l["token_binding"] === "dpop" && l["code"] === "OK"));
        assert.ok(logged, "the call log says the token was DPoP-bound");
      }
    });
  }

  test("a proof naming the service's public URL (NOTES_PUBLIC_URLS, as behind a proxy): OK", async () => {
    const token = await tokenBoundTo({ jkt: dpopKey.thumbprint });
    const outcome = await listNotes("grpc", [dpopAuth(token, dpopKey, { proofFor: () => signProof(dpopKey, { url: `${publicUrl}/m2m.notes.v1.NoteService/ListNotes`, accessToken: token }) })]);
    summary.push({ case: "proof for the public URL", expected: "OK", observed: text(outcome) });
    assert.equal(outcome, "OK");
  });

  test("a good proof but a scope the token lacks: PERMISSION_DENIED, INSUFFICIENT_SCOPE, with a DPoP challenge", async () => {
    const token = await tokenBoundTo({ jkt: dpopKey.thumbprint }, ["note.read"]);
    try {
      await createClient(NoteService, transport("grpc", [dpopAuth(token, dpopKey)])).createNote({ note: { title: "not allowed" } });
      assert.fail("accepted");
    } catch (err) {
      const error = ConnectError.from(err);
      summary.push({ case: "DPoP, scope missing", expected: "PERMISSION_DENIED INSUFFICIENT_SCOPE", observed: `${Code[error.code]} ${AuthFailureReason[error.findDetails(AuthErrorSchema)[0]?.reason ?? 0]}` });
      assert.equal(error.code, Code.PermissionDenied);
      assert.equal(error.findDetails(AuthErrorSchema)[0]?.reason, AuthFailureReason.INSUFFICIENT_SCOPE);
      assert.match(error.metadata.get("www-authenticate") ?? "", /^DPoP error="insufficient_scope", error_description="[^"]*", scope="note.write", algs="ES256 /);
    }
  });

  test("a stolen DPoP token replayed as Bearer: DPOP_TOKEN_AS_BEARER", async () => {
    const token = await tokenBoundTo({ jkt: dpopKey.thumbprint });
    expectRefused("DPoP token as Bearer", await listNotes("grpc", [bearer(token)]), AuthFailureReason.DPOP_TOKEN_AS_BEARER, /DPoP-bound/, /^DPoP error="invalid_token", error_description="[^"]*DPoP-bound[^"]*", algs="ES256 /);
  });

  test("the DPoP scheme with a plain bearer token: TOKEN_NOT_DPOP_BOUND", async () => {
    const token = await tokenBoundTo(undefined);
    expectRefused("bearer token under DPoP", await listNotes("grpc", [dpopAuth(token, dpopKey)]), AuthFailureReason.TOKEN_NOT_DPOP_BOUND, /not DPoP-bound/, /^DPoP error="invalid_token"/);
  });

  const misuses: [string, (token: string) => Interceptor, RegExp][] = [
    ["a proof signed by another key (a thief's)", (t) => dpopAuth(t, otherKey), /signed with another key/],
    ["no proof", (t) => dpopAuth(t, dpopKey, { proofFor: () => undefined }), /a DPoP proof is required/],
    ["a proof for another method", (t) => dpopAuth(t, dpopKey, { proofFor: () => signProof(dpopKey, { url: listUrl().replace("ListNotes", "DeleteNote"), accessToken: t }) }), /htu must be https:\/\/127\.0\.0\.1:\d+\/m2m\.notes\.v1\.NoteService\/ListNotes/],
    ["a proof for another host", (t) => dpopAuth(t, dpopKey, { proofFor: () => signProof(dpopKey, { url: listUrl().replace("127.0.0.1", "notes.example"), accessToken: t }) }), /htu must be/],
    ["a proof with htm GET on a POST", (t) => dpopAuth(t, dpopKey, { proofFor: () => signProof(dpopKey, { method: "GET", url: listUrl(), accessToken: t }) }), /htm must be POST/],
    ["a stale proof (2 min old)", (t) => dpopAuth(t, dpopKey, { proofFor: () => signProof(dpopKey, { url: listUrl(), accessToken: t, iat: Math.floor(Date.now() / 1000) - 120 }) }), /stale/],
    ["a proof with the private key inside", (t) => dpopAuth(t, dpopKey, { proofFor: () => signProof(dpopKey, { url: listUrl(), accessToken: t, header: { jwk: { ...dpopKey.publicJwk, d: dpopKey.privateKey.export({ format: "jwk" }).d } } }) }), /holds a private key/],
    ["a proof without ath", (t) => dpopAuth(t, dpopKey, { proofFor: () => signProof(dpopKey, { url: listUrl() }) }), /ath does not match/],
    ["a proof with the ath of another token", (t) => dpopAuth(t, dpopKey, { proofFor: () => signProof(dpopKey, { url: listUrl(), accessToken: `${t}x` }) }), /ath does not match/],
    ["two dpop headers", (t) => dpopAuth(t, dpopKey, { proofFor: () => `${signProof(dpopKey, { url: listUrl(), accessToken: t })}, ${signProof(dpopKey, { url: listUrl(), accessToken: t })}` }), /more than one DPoP proof/],
  ];
  for (const [name, auth, description] of misuses) {
    test(`${name}: INVALID_DPOP_PROOF`, async () => {
      const token = await tokenBoundTo({ jkt: dpopKey.thumbprint });
      expectRefused(name, await listNotes("grpc", [auth(token)]), AuthFailureReason.INVALID_DPOP_PROOF, description, invalidProof(description));
    });
  }

  test("a replayed proof: INVALID_DPOP_PROOF (jti replay), also when the token is in the verified-token cache", async () => {
    const token = await tokenBoundTo({ jkt: dpopKey.thumbprint });
    const proof = signProof(dpopKey, { url: listUrl(), accessToken: token });
    assert.equal(await listNotes("grpc", [dpopAuth(token, dpopKey, { proofFor: () => proof })]), "OK");
    assert.ok(!notes.output.some((line) => line.includes(proof) || line.includes(token)), "neither the proof nor the token is logged");
    for (const protocol of ["grpc", "connect"] as const) {
      expectRefused(`a replayed proof (${protocol})`, await listNotes(protocol, [dpopAuth(token, dpopKey, { proofFor: () => proof })]), AuthFailureReason.INVALID_DPOP_PROOF, /already used/, invalidProof(/already used/));
    }
  });

  test("two dpop fields on the wire (HTTP/2, Connect JSON): 401 unauthenticated, INVALID_DPOP_PROOF", async () => {
    const token = await tokenBoundTo({ jkt: dpopKey.thumbprint });
    const proofs = [0, 1].map(() => signProof(dpopKey, { url: listUrl(), accessToken: token }));
    const session = http2.connect(baseUrl, { ca: trustedCertificates(certs.ca.cert) });
    const sessionError = new Promise<never>((_, reject) => session.once("error", reject));
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/m2m.notes.v1.NoteService/ListNotes",
          "content-type": "application/json",
          authorization: `DPoP ${token}`,
          dpop: proofs,
        });
        let status = 0;
        let body = "";
        stream.on("response", (headers) => (status = Number(headers[":status"])));
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => (body += chunk));
        stream.on("end", () => resolve({ status, body }));
        stream.on("error", reject);
        stream.end("{}");
        sessionError.catch(reject);
      });
      summary.push({ case: "two dpop fields (raw HTTP/2)", expected: "401 more than one DPoP proof", observed: `${answer.status} ${String((JSON.parse(answer.body) as { message?: string }).message)}` });
      assert.equal(answer.status, 401);
      assert.match(answer.body, /more than one DPoP proof/);
    } finally {
      session.close();
    }
  });

  test("a watch stream is checked once, at its start: it goes on after its proof has gone stale", async () => {
    const token = await tokenBoundTo({ jkt: dpopKey.thumbprint });
    let proofs = 0;
    // 55 s old at the start: inside the 60 s window now, stale after 5 s.
    const iat = Math.floor(Date.now() / 1000) - 55;
    const oldProof = dpopAuth(token, dpopKey, {
      proofFor: ({ url }) => {
        proofs++;
        return signProof(dpopKey, { url, accessToken: token, iat });
      },
    });
    const watch = createClient(NoteService, transport("grpc", [oldProof])).watchNotes({})[Symbol.asyncIterator]();
    try {
      assert.equal((await watch.next()).value?.changeType, ChangeType.WATCH_STARTED);
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const writer = createClient(NoteService, transport("grpc", [dpopAuth(token, dpopKey)]));
      const { note } = await writer.createNote({ note: { title: "seen by a watch whose proof is stale" } });
      const change = (await watch.next()).value;
      summary.push({ case: "watch stream, proof stale after 5 s", expected: "CREATED delivered", observed: change ? (ChangeType[change.changeType] ?? String(change.changeType)) : "nothing" });
      assert.equal(change?.changeType, ChangeType.CREATED);
      assert.equal(change?.note?.id, note!.id);
      assert.equal(proofs, 1, "one proof for the whole stream");
      // The same old iat on a new call, now: refused as stale.
      expectRefused("a new call with that stale proof", await listNotes("grpc", [oldProof]), AuthFailureReason.INVALID_DPOP_PROOF, /stale/, invalidProof(/stale/));
    } finally {
      await watch.return?.();
    }
  });
});

describe("certificate-bound tokens (mutual TLS)", { skip }, () => {
  for (const protocol of ["grpc", "connect-h1"] as const) {
    const over = protocol === "grpc" ? "HTTP/2" : "HTTP/1.1";
    test(`over ${over}: OK with the certificate; CERTIFICATE_MISMATCH without it or with another`, async () => {
      const [mine, theirs] = clients;
      const token = await tokenBoundTo({ "x5t#S256": mine.thumbprint });
      const withMine = await listNotes(protocol, [bearer(token)], mine);
      summary.push({ case: `bound token with its certificate (${over})`, expected: "OK", observed: text(withMine) });
      assert.equal(withMine, "OK");
      assert.ok(await waitFor(() => notes.logs().some((l) => l["msg"] === "call" && l["token_binding"] === "certificate")), "the call log says the token was certificate-bound");
      assert.equal(await listNotes(protocol, [bearer(token)], mine), "OK", "again, from the verified-token cache");
      const challenge = /^Bearer realm="note-service", error="invalid_token", error_description="[^"]*client certificate/;
      expectRefused(`bound token without a certificate (${over})`, await listNotes(protocol, [bearer(token)]), AuthFailureReason.CERTIFICATE_MISMATCH, /did not present: connect over TLS with that certificate/, challenge);
      expectRefused(`bound token with another certificate (${over})`, await listNotes(protocol, [bearer(token)], theirs), AuthFailureReason.CERTIFICATE_MISMATCH, /did not present: it presented another one/, challenge);
    });
  }

  test("bound to a key and a certificate: DPoP over a connection with the certificate", async () => {
    const [mine] = clients;
    const token = await tokenBoundTo({ jkt: dpopKey.thumbprint, "x5t#S256": mine.thumbprint });
    assert.equal(await listNotes("grpc", [dpopAuth(token, dpopKey)], mine), "OK");
    expectRefused("key- and certificate-bound, no certificate", await listNotes("grpc", [dpopAuth(token, dpopKey)]), AuthFailureReason.CERTIFICATE_MISMATCH, /client certificate/, /^DPoP error="invalid_token"/);
  });

  test("clients without a certificate, and plain bearer tokens with one, are served as before", async () => {
    const token = await tokenBoundTo(undefined);
    for (const protocol of ["grpc", "connect-h1", "grpc-web"] as const) {
      assert.equal(await listNotes(protocol, [bearer(token)]), "OK", `${protocol} without a certificate`);
      assert.equal(await listNotes(protocol, [bearer(token)], clients[1]), "OK", `${protocol} with an unrelated certificate`);
    }
  });
});
