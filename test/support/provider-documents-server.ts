/**
 * The auth provider's public documents as a test controls them, over real
 * HTTP on loopback: the JWKS at /auth/jwt/jwks.json and the revocation list at
 * /auth/oauth/revocations (the wire format of common/revocation-list.ts, with
 * an ETag and 304 for If-None-Match), so that AUTH_ISSUER = `issuer` alone
 * points a service at both. Either can be made to fail.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { JWK } from "jose";
import type { RevocationListDocument } from "../../common/revocation-list.js";

export interface ProviderDocumentsServer {
  /** http://127.0.0.1:PORT/auth */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly revocationsUrl: string;
  /** The keys served; change freely. */
  keys: JWK[];
  /** The revocation list served (issuer and generated_at filled in); change freely. */
  revocations: { tokens: { jti: string; exp: number }[]; clients: { client_id: string; tokens_issued_before: number }[] };
  /** up: documents as set; down: 503 for both; unpublished: 404 for the revocation list. */
  mode: "up" | "down" | "unpublished";
  /** When set, the revocation list is padded with this many bytes (sent without Content-Length when `chunked`). */
  padding: { bytes: number; chunked: boolean } | undefined;
  /** When set, the list names this issuer instead. */
  claimedIssuer: string | undefined;
  /** Revocation list requests, with the If-None-Match each sent, and the status answered. */
  readonly revocationRequests: { ifNoneMatch: string | undefined; status: number }[];
  close(): Promise<void>;
}

export async function startProviderDocumentsServer(keys: JWK[] = []): Promise<ProviderDocumentsServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/auth/jwt/jwks.json") {
      if (state.mode === "down") res.writeHead(503).end();
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: state.keys }));
      return;
    }
    if (path !== "/auth/oauth/revocations") {
      res.writeHead(404).end();
      return;
    }
    const ifNoneMatch = req.headers["if-none-match"];
    const answer = (status: number) => state.revocationRequests.push({ ifNoneMatch, status });
    if (state.mode !== "up") {
      answer(state.mode === "down" ? 503 : 404);
      res.writeHead(state.mode === "down" ? 503 : 404).end();
      return;
    }
    const document: RevocationListDocument & { padding?: string } = {
      issuer: state.claimedIssuer ?? state.issuer,
      generated_at: Math.floor(Date.now() / 1000),
      tokens: state.revocations.tokens,
      clients: state.revocations.clients,
      ...(state.padding ? { padding: "x".repeat(state.padding.bytes) } : {}),
    };
    // The ETag names the content (as the provider's does), not the moment it was generated.
    const etag = `"${createHash("sha256").update(JSON.stringify([document.issuer, document.tokens, document.clients, state.padding])).digest("base64url")}"`;
    if (ifNoneMatch === etag) {
      answer(304);
      res.writeHead(304, { etag }).end();
      return;
    }
    answer(200);
    const body = JSON.stringify(document);
    if (state.padding?.chunked) {
      res.writeHead(200, { "content-type": "application/json", etag });
      for (let i = 0; i < body.length; i += 64 * 1024) res.write(body.slice(i, i + 64 * 1024));
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/json", etag, "content-length": Buffer.byteLength(body) }).end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}/auth`;
  const state: ProviderDocumentsServer = {
    issuer,
    jwksUrl: `${issuer}/jwt/jwks.json`,
    revocationsUrl: `${issuer}/oauth/revocations`,
    keys,
    revocations: { tokens: [], clients: [] },
    mode: "up",
    padding: undefined,
    claimedIssuer: undefined,
    revocationRequests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}
