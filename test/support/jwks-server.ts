/**
 * A JWKS document served over real HTTP on loopback, for tests of the
 * verifier with keys the test controls (like any standards-following
 * authorization server would publish them).
 */
import { createServer } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

export interface TestSigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createSigningKey(kid: string, alg = "ES256"): Promise<TestSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

export async function signToken(key: TestSigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header }).sign(key.privateKey);
}

export interface JwksServer {
  url: string;
  /** The keys served; change freely. */
  keys: JWK[];
  /** When false, answers 503. */
  up: boolean;
  requests: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  const state = { keys, up: true, requests: 0 };
  const server = createServer((_req, res) => {
    state.requests++;
    if (!state.up) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** Signs any header and payload as an ES256 JWS without jose's header checks (for crit and other odd headers). */
export async function signRawEs256(key: TestSigningKey, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString("base64url")}`;
}
