/**
 * The JWKS response prepared once per key set: the JSON body as a Buffer, its
 * strong ETag and length, made again only when the live keys hand out a
 * different key set object (they do so on a reload or when a key leaves the
 * JWKS, see live-keys.ts). GET and HEAD are answered from it, with 304 Not
 * Modified when If-None-Match names the current ETag (RFC 9110 §13.1.2).
 * Plain node:http calls on the response, so no per-request serialisation.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PublicJwks } from "../keys/key-ring.js";

/** How long clients and caches may keep the JWKS: 5 minutes. */
export const jwksCacheControl = "public, max-age=300";

interface PreparedBody {
  readonly source: PublicJwks;
  readonly body: Buffer;
  readonly etag: string;
  readonly length: string;
}

function prepare(source: PublicJwks): PreparedBody {
  const body = Buffer.from(JSON.stringify(source));
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  return { source, body, etag, length: String(body.length) };
}

/** True when the If-None-Match header lists etag or is "*" (weak comparison, RFC 9110 §13.1.2). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/**
 * A handler for GET and HEAD of the JWKS: jwks is asked per request and must return the same object while the keys
 * are unchanged (the body is prepared again whenever the object differs).
 */
export function createJwksResponder(jwks: () => PublicJwks): (req: IncomingMessage, res: ServerResponse) => void {
  let prepared: PreparedBody | undefined;
  return (req, res) => {
    const source = jwks();
    if (prepared?.source !== source) prepared = prepare(source);
    res.setHeader("Cache-Control", jwksCacheControl);
    res.setHeader("ETag", prepared.etag);
    if (matches(req.headers["if-none-match"], prepared.etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Content-Length", prepared.length);
    if (req.method === "HEAD") res.end();
    else res.end(prepared.body);
  };
}
