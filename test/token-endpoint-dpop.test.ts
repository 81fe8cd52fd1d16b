/**
 * DPoP at the real auth provider's token endpoint (RFC 9449 §5): a good proof
 * gets a DPoP token whose cnf.jkt is the proof key's thumbprint (introspection
 * says so too); each broken proof — wrong typ, a symmetric alg, a private key
 * in the jwk, a jwk that did not sign it, htm GET, htu of another host, stale
 * or future iat, no jti, a replay, two DPoP headers — and a DPoP-required
 * client without a proof is 400
 * invalid_dpop_proof with a description saying what to fix. A proof used at
 * one replica on PostgreSQL is refused at the other. Discovery lists
 * dpop_signing_alg_values_supported.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeJwt } from "jose";
import { dpopSigningAlgorithms } from "../interceptor/dpop-proof.js";
import {
  basicAuthorization,
  readTokenAnswer,
  startAuthProvider,
  startAuthReplica,
  writeKeyEncryptionKeyFile,
  type AuthProviderUnderTest,
  type AuthReplica,
  type TokenAnswer,
} from "./support/auth-provider.js";
import { createDpopKey, signProof, type DpopTestKey, type ProofFor } from "./support/dpop-proofs.js";
import { authAdmin, postToAuth } from "./support/oauth-client.js";
import { startTestPostgres, type TestPostgres } from "./support/postgres.js";
import { tempDataDir } from "./support/processes.js";

const grants = [{ audience: "note-service", scopes: ["note.read"] }];
const client = { grants, grantTypes: ["client_credentials"] };
let provider: AuthProviderUnderTest;
let key: DpopTestKey;
let otherKey: DpopTestKey;

before(async () => {
  provider = await startAuthProvider([
    { ...client, clientId: "reporter" },
    { ...client, clientId: "strict", requireDpop: true },
  ]);
  [key, otherKey] = await Promise.all([createDpopKey(), createDpopKey()]);
});

after(async () => {
  assert.equal(await provider?.close(), 0);
});

/** A DPoP proof for a token request at tokenEndpoint (POST, now, a fresh jti); options change it. */
const proof = (tokenEndpoint: string, options: Omit<ProofFor, "url"> = {}) => signProof(key, { url: tokenEndpoint, ...options });

/** A client_credentials request with Basic authentication and the given DPoP header values (one header line each). */
function tokenRequest(baseUrl: string, clientId: string, secret: string, dpop: string[]): Promise<TokenAnswer> {
  const body = new URLSearchParams({ grant_type: "client_credentials", audience: "note-service", scope: "note.read" }).toString();
  const url = new URL(`${baseUrl}/auth/oauth/token`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent: false,
        headers: {
          authorization: basicAuthorization(clientId, secret),
          "content-type": "application/x-www-form-urlencoded",
          ...(dpop.length === 0 ? {} : { dpop: dpop.length === 1 ? dpop[0]! : dpop }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(readTokenAnswer(new Response(text, { status: res.statusCode! }))));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const request1 = (clientId: string, dpop: string[]) => tokenRequest(provider.server.url, clientId, provider.secrets[clientId]!, dpop);

function assertInvalidProof(answer: TokenAnswer, description: RegExp): void {
  assert.equal(answer.status, 400, answer.text);
  assert.equal(answer.json?.["error"], "invalid_dpop_proof");
  assert.match(String(answer.json?.["error_description"]), description);
}

describe("DPoP at the token endpoint", () => {
  it("discovery lists the proof algorithms (and no nonce: none is required)", async () => {
    const metadata = (await (await fetch(`${provider.server.url}/auth/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.deepEqual(metadata["dpop_signing_alg_values_supported"], [...dpopSigningAlgorithms]);
    assert.equal(metadata["tls_client_certificate_bound_access_tokens"], undefined, "no client certificates without AUTH_CLIENT_CA_FILE");
    assert.ok(!(metadata["token_endpoint_auth_methods_supported"] as string[]).includes("tls_client_auth"));
  });

  it("a good proof: token_type DPoP and cnf.jkt the key's thumbprint, also in introspection", async () => {
    const answer = await request1("reporter", [proof(`${provider.issuer}/oauth/token`)]);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json!["token_type"], "DPoP");
    const token = String(answer.json!["access_token"]);
    assert.deepEqual(decodeJwt(token)["cnf"], { jkt: key.thumbprint });
    const introspected = await postToAuth(provider.server.url, "/oauth/introspect", { token }, { basic: { clientId: "reporter", secret: provider.secrets["reporter"]! } });
    assert.equal(introspected.json!["active"], true);
    assert.equal(introspected.json!["token_type"], "DPoP");
    assert.deepEqual(introspected.json!["cnf"], { jkt: key.thumbprint });
  });

  it("accepts as htu the URL the request was made to, as well as the issuer's token endpoint", async () => {
    const answer = await request1("reporter", [proof(`${provider.server.url}/auth/oauth/token`)]);
    assert.equal(answer.status, 200, answer.text);
  });

  it("without a proof a client that does not require one gets a bearer token without cnf", async () => {
    const answer = await request1("reporter", []);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json!["token_type"], "bearer");
    assert.equal(decodeJwt(String(answer.json!["access_token"]))["cnf"], undefined);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const broken: [string, () => string, RegExp][] = [
    ["typ JWT", () => proof(`${provider.issuer}/oauth/token`, { header: { typ: "JWT" } }), /typ must be 'dpop\+jwt'/],
    ["HS256 (a shared secret)", () => proof(`${provider.issuer}/oauth/token`, { header: { alg: "HS256" } }), /alg must be one of ES256/],
    ["a private key in the jwk", () => proof(`${provider.issuer}/oauth/token`, { header: { jwk: key.privateKey.export({ format: "jwk" }) } }), /jwk holds a private key; send the public key only/],
    ["htm GET", () => proof(`${provider.issuer}/oauth/token`, { method: "GET" }), /htm must be POST/],
    ["htu of another host", () => proof("https://elsewhere.example/auth/oauth/token"), /htu must be http:\/\/localhost:\d+\/auth\/oauth\/token/],
    ["an iat 120 s old", () => proof(`${provider.issuer}/oauth/token`, { iat: now() - 120 }), /stale: its iat is 1[12]\d s old \(at most 60 s\)/],
    ["an iat 60 s ahead", () => proof(`${provider.issuer}/oauth/token`, { iat: now() + 60 }), /iat is \d+ s in the future: check the client's clock/],
    ["no jti", () => proof(`${provider.issuer}/oauth/token`, { claims: { jti: undefined } }), /needs a jti/],
    ["a jwk that did not sign it", () => proof(`${provider.issuer}/oauth/token`, { header: { jwk: otherKey.publicJwk } }), /signature does not verify with its jwk/],
    ["not a JWS", () => "not-a-proof", /not a compact JWS/],
  ];
  for (const [what, make, description] of broken) {
    it(`${what}: 400 invalid_dpop_proof`, async () => {
      assertInvalidProof(await request1("reporter", [make()]), description);
    });
  }

  it("a replayed proof: 400 invalid_dpop_proof", async () => {
    const once = proof(`${provider.issuer}/oauth/token`);
    assert.equal((await request1("reporter", [once])).status, 200);
    assertInvalidProof(await request1("reporter", [once]), /already used \(jti replay\): sign a new proof for each request/);
  });

  it("two DPoP headers: 400 invalid_dpop_proof", async () => {
    const [a, b] = [proof(`${provider.issuer}/oauth/token`), proof(`${provider.issuer}/oauth/token`)];
    assertInvalidProof(await request1("reporter", [a, b]), /one DPoP header/);
  });

  it("a client registered with --require-dpop: refused without a proof, a DPoP token with one", async () => {
    assertInvalidProof(await request1("strict", []), /^this client must prove possession of a key with a DPoP proof$/);
    const answer = await request1("strict", [proof(`${provider.issuer}/oauth/token`)]);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json!["token_type"], "DPoP");
  });
});

describe("DPoP across auth replicas on PostgreSQL", () => {
  const issuer = "http://auth.dpop.test/auth";
  let postgres: TestPostgres;
  let work: { path: string; remove(): void };
  let a: AuthReplica;
  let b: AuthReplica;
  let secret: string;

  before(async () => {
    postgres = await startTestPostgres();
    work = tempDataDir();
    const shared = { DATABASE_URL: await postgres.createDatabase(), AUTH_KEY_ENCRYPTION_KEY_FILE: writeKeyEncryptionKeyFile(work.path), AUTH_ISSUER: issuer };
    [a, b] = await Promise.all([startAuthReplica(shared), startAuthReplica(shared)]);
    const added = await authAdmin({ ...shared, DATA_DIR: join(work.path, "admin-data") }, "client", "add", "shared", "--grant", "note-service:note.read", "--require-dpop");
    secret = String(added["clientSecret"]);
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await postgres?.stop();
    work?.remove();
  });

  it("refuses at one replica a proof already used at the other", async () => {
    const once = proof(`${issuer}/oauth/token`);
    const first = await tokenRequest(a.server.url, "shared", secret, [once]);
    assert.equal(first.status, 200, first.text);
    assertInvalidProof(await tokenRequest(b.server.url, "shared", secret, [once]), /already used \(jti replay\)/);
    assertInvalidProof(await tokenRequest(b.server.url, "shared", secret, []), /must prove possession/);
  });
});
