/**
 * Revocation reaches a running service: real notes services follow a JWKS and
 * a revocation list that the test serves on loopback (AUTH_ISSUER alone points
 * them at both). A revoked token is refused within 5 s with the default poll
 * interval; while the list cannot be fetched, health says so and the last list
 * stays in use; with AUTH_REVOCATION_MAX_STALENESS_SECONDS the service refuses
 * calls (UNAVAILABLE) once the list is too old, and serves again once it
 * returns; a provider that publishes no list (404) refuses nothing.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { createSigningKey, signToken, type TestSigningKey } from "./support/jwks-server.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { startProviderDocumentsServer, type ProviderDocumentsServer } from "./support/provider-documents-server.js";
import { printSummary } from "./support/summary-table.js";
import { bearer, transportFor } from "./support/system.js";
import { accessClaims } from "./support/tokens.js";

const revocationsHealth = "m2m.auth.v1.Revocations";
let docs: ProviderDocumentsServer;
let key: TestSigningKey;
const dataDirs: { remove(): void }[] = [];
const services: RunningProcess[] = [];
const summary: { case: string; expected: string; observed: string }[] = [];

before(async () => {
  key = await createSigningKey("k1");
  docs = await startProviderDocumentsServer([key.publicJwk]);
});
after(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await docs?.close();
  for (const dir of dataDirs) dir.remove();
  printSummary("revocation list followed by a notes service", summary);
});

async function startNotes(env: Record<string, string> = {}): Promise<RunningProcess> {
  const data = tempDataDir();
  dataDirs.push(data);
  const notes = await startProcess("notes/main.js", { env: { DATA_DIR: data.path, AUTH_ISSUER: docs.issuer, NOTES_PORT: "0", NOTES_HOST: "127.0.0.1", ...env } });
  services.push(notes);
  return notes;
}

const tokenFor = (clientId: string, overrides: Record<string, unknown> = {}) =>
  signToken(key, accessClaims(docs.issuer, "note-service", ["note.read"], { sub: clientId, client_id: clientId, ...overrides }));

/** The outcome of one ListNotes call with `token`: "ok", or the code and AuthError reason. */
type Outcome = { code: Code; reason: AuthFailureReason; error: ConnectError } | "ok";

async function listWith(notes: RunningProcess, token: string): Promise<Outcome> {
  try {
    await createClient(NoteService, transportFor("grpc", notes.url, [bearer(token)])).listNotes({ pageSize: 1 }, { timeoutMs: 5000 });
    return "ok";
  } catch (err) {
    const error = ConnectError.from(err);
    return { code: error.code, reason: error.findDetails(AuthErrorSchema)[0]?.reason ?? AuthFailureReason.UNSPECIFIED, error };
  }
}

const outcomeText = (outcome: Outcome) => (outcome === "ok" ? "OK" : `${Code[outcome.code]} ${AuthFailureReason[outcome.reason]}`);

/** Polls `probe` every 50 ms until it returns true or `ms` pass; returns the time it took, or undefined. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (await probe()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

const healthOf = async (notes: RunningProcess, service = "") => (await createClient(Health, transportFor("grpc", notes.url)).check({ service })).status;

let notes: RunningProcess;
let revokedToken: string;
let goodToken: string;

test("with the default poll interval, a revoked token is refused within 5 s: UNAUTHENTICATED, TOKEN_REVOKED", async () => {
  notes = await startNotes();
  revokedToken = await tokenFor("assistant");
  goodToken = await tokenFor("assistant");
  assert.equal(await listWith(notes, revokedToken), "ok");
  assert.equal(await listWith(notes, revokedToken), "ok", "now answered from the verified-token cache");
  assert.notEqual(await within(5000, async () => (await healthOf(notes, revocationsHealth)) === Status.SERVING), undefined, "the list was fetched");

  const jti = JSON.parse(Buffer.from(revokedToken.split(".")[1]!, "base64url").toString()).jti as string;
  docs.revocations.tokens.push({ jti, exp: Math.floor(Date.now() / 1000) + 600 });
  let last = "ok" as Outcome;
  const took = await within(5000, async () => (last = await listWith(notes, revokedToken)) !== "ok");
  summary.push({ case: "revoked jti, default 2 s poll", expected: "UNAUTHENTICATED TOKEN_REVOKED within 5 s", observed: `${outcomeText(last)} after ${Math.round(took ?? 5000)} ms` });
  assert.ok(took !== undefined, "refused within 5 s");
  assert.ok(last !== "ok");
  assert.equal(last.code, Code.Unauthenticated);
  assert.equal(last.reason, AuthFailureReason.TOKEN_REVOKED);
  assert.match(last.error.rawMessage, /revoked/);
  assert.match(last.error.metadata.get("www-authenticate") ?? "", /^Bearer realm="note-service", error="invalid_token", error_description="[^"]*revoked/);
  assert.equal(await listWith(notes, goodToken), "ok", "another token of the same client still works");
});

test("a client-wide revocation refuses the tokens the client got before it, not those it gets after", async () => {
  const now = Math.floor(Date.now() / 1000);
  const before = await tokenFor("reporting", { iat: now - 60 });
  const after = await tokenFor("reporting", { iat: now + 1 });
  assert.equal(await listWith(notes, before), "ok");
  docs.revocations.clients.push({ client_id: "reporting", tokens_issued_before: now });
  let last = "ok" as Outcome;
  assert.notEqual(await within(5000, async () => (last = await listWith(notes, before)) !== "ok"), undefined, "refused within 5 s");
  summary.push({ case: "client revoked: token issued before", expected: "UNAUTHENTICATED TOKEN_REVOKED", observed: outcomeText(last) });
  assert.ok(last !== "ok" && last.reason === AuthFailureReason.TOKEN_REVOKED);
  assert.equal(await listWith(notes, after), "ok");
});

test("while the list cannot be fetched: health m2m.auth.v1.Revocations is NOT_SERVING, the last list stays in use, calls go on", async () => {
  docs.mode = "down";
  try {
    const took = await within(5000, async () => (await healthOf(notes, revocationsHealth)) === Status.NOT_SERVING);
    summary.push({ case: "list server down: health of m2m.auth.v1.Revocations", expected: "NOT_SERVING", observed: took === undefined ? "still SERVING after 5 s" : `NOT_SERVING after ${Math.round(took)} ms` });
    assert.ok(took !== undefined, "NOT_SERVING within 5 s");
    assert.equal(await healthOf(notes), Status.SERVING, "the server serves on (no staleness limit)");
    assert.equal(await listWith(notes, goodToken), "ok");
    const revoked = await listWith(notes, revokedToken);
    assert.ok(revoked !== "ok" && revoked.reason === AuthFailureReason.TOKEN_REVOKED, "still refused by the last list");
    assert.notEqual(await within(2000, async () => notes.logs().some((l) => l["msg"] === "cannot fetch the revocation list; the last one fetched stays in use" && l["error"] === "HTTP 503")), undefined, "logged");
  } finally {
    docs.mode = "up";
  }
  assert.notEqual(await within(5000, async () => (await healthOf(notes, revocationsHealth)) === Status.SERVING), undefined, "SERVING again once it is back");
  assert.notEqual(await within(2000, async () => notes.logs().some((l) => l["msg"] === "fetched the revocation list again (unchanged)")), undefined);
});

test("with AUTH_REVOCATION_MAX_STALENESS_SECONDS=1: UNAVAILABLE, REVOCATIONS_UNAVAILABLE once the list is gone for 1 s; served again once it returns", async () => {
  const strict = await startNotes({ AUTH_REVOCATION_MAX_STALENESS_SECONDS: "1", AUTH_REVOCATION_POLL_MS: "200" });
  assert.notEqual(await within(5000, async () => (await listWith(strict, goodToken)) === "ok"), undefined);
  docs.mode = "down";
  let last = "ok" as Outcome;
  try {
    const took = await within(5000, async () => (last = await listWith(strict, goodToken)) !== "ok");
    summary.push({ case: "limit 1 s, list server down", expected: "UNAVAILABLE REVOCATIONS_UNAVAILABLE", observed: `${outcomeText(last)} after ${Math.round(took ?? 5000)} ms` });
    assert.ok(took !== undefined && last !== "ok");
    assert.equal(last.code, Code.Unavailable);
    assert.equal(last.reason, AuthFailureReason.REVOCATIONS_UNAVAILABLE);
    assert.match(last.error.rawMessage, /^cannot confirm that the access token is not revoked: the auth provider's revocation list was last fetched \d+ s ago \(the limit is 1 s\): HTTP 503$/);
    assert.equal(last.error.metadata.get("www-authenticate"), null);
    assert.equal(await healthOf(strict), Status.NOT_SERVING, "the whole server is NOT_SERVING while it refuses");
    assert.equal(await healthOf(strict, revocationsHealth), Status.NOT_SERVING);
    // The line may reach us a moment after the refusal: the log is another pipe.
    assert.notEqual(await within(2000, async () => strict.logs().some((l) => l["level"] === "error" && /calls that need a token are refused/.test(String(l["msg"])))), undefined, "logged");
  } finally {
    docs.mode = "up";
  }
  const back = await within(5000, async () => (last = await listWith(strict, goodToken)) === "ok");
  summary.push({ case: "limit 1 s, list server back", expected: "OK", observed: `${outcomeText(last)} after ${Math.round(back ?? 5000)} ms` });
  assert.ok(back !== undefined, "served again");
  assert.equal(await healthOf(strict), Status.SERVING);
});

test("a provider that publishes no list (404, like SuperTokens): said once in the logs, nothing refused, health SERVING", async () => {
  docs.mode = "unpublished";
  try {
    const lax = await startNotes({ AUTH_REVOCATION_MAX_STALENESS_SECONDS: "1", AUTH_REVOCATION_POLL_MS: "200" });
    assert.notEqual(await within(5000, async () => lax.logs().some((l) => /publishes no revocation list/.test(String(l["msg"])))), undefined);
    await new Promise((r) => setTimeout(r, 1500));
    const outcome = await listWith(lax, goodToken);
    summary.push({ case: "404 for the list, limit 1 s", expected: "OK", observed: outcomeText(outcome) });
    assert.equal(outcome, "ok");
    assert.equal(await healthOf(lax, revocationsHealth), Status.SERVING);
    assert.equal(lax.logs().filter((l) => /revocation list/.test(String(l["msg"]))).length, 1, "one line, no repeats");
  } finally {
    docs.mode = "up";
  }
});
