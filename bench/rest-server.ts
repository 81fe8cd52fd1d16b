/**
 * The REST design the services replaced, for comparison only: express over
 * HTTP/1.1, `GET /v1/notes?page_size=N` answering the ListNotes JSON, with the
 * bearer token verified by jose on every request (the auth provider's JWKS,
 * ES256, issuer and audience) and the scope note.read required. Reads the
 * notes service's SQLite file through the same store.
 *
 * Environment: BENCH_PORT, AUTH_ISSUER, AUTH_JWKS_URL, BENCH_AUDIENCE, DATA_DIR.
 */
import { create, toJson } from "@bufbuild/protobuf";
import express from "express";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { ListNotesResponseSchema } from "../gen/m2m/notes/v1/notes_pb.js";
import { openNotesStore } from "./open-notes-store.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`rest-server: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const issuer = required("AUTH_ISSUER");
const audience = required("BENCH_AUDIENCE");
const jwks = createRemoteJWKSet(new URL(required("AUTH_JWKS_URL")));
const store = await openNotesStore(required("DATA_DIR"));

const app = express();
app.get("/v1/notes", async (req, res) => {
  const token = /^Bearer ([^ ]+)$/.exec(req.get("authorization") ?? "")?.[1];
  if (token === undefined) {
    res.status(401).json({ error: "invalid_token" });
    return;
  }
  let scopes: unknown;
  try {
    ({ payload: { scp: scopes } } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ["ES256", "RS256"] }));
  } catch {
    res.status(401).json({ error: "invalid_token" });
    return;
  }
  if (!Array.isArray(scopes) || !scopes.includes("note.read")) {
    res.status(403).json({ error: "insufficient_scope" });
    return;
  }
  const limit = Math.min(Math.max(Number(req.query["page_size"]) || 50, 1), 1000);
  const { items: notes } = await store.list({ limit, where: [] });
  res.json(toJson(ListNotesResponseSchema, create(ListNotesResponseSchema, { notes })));
});

const server = app.listen(Number(required("BENCH_PORT")), "127.0.0.1");
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
