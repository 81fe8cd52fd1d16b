/**
 * Writing a JSON answer with node:http calls only, as express's res.json()
 * writes it here (no ETag: the app turns them off): the status,
 * `Content-Type: application/json; charset=utf-8`, Content-Length and the
 * body. It works on express's response and on a plain node:http one alike,
 * so the endpoints served outside express (http/plain-routes.ts) answer
 * byte for byte as before.
 */
import type { ServerResponse } from "node:http";

/** A response that carries express's res.locals: express's own, or a plain one given the property (plain-routes.ts). */
export type AnswerResponse = ServerResponse & { locals: Record<string, unknown> };

/** Sends `body` as JSON with `status`; headers set before are kept. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  // A string body lets node:http send the head and the body in one write.
  res.end(text);
}
