/**
 * The metrics end to end (issue 16): the whole system with its three metrics
 * listeners on, and a real Prometheus (test/support/prometheus.ts) scraping
 * them every second. The test makes good and bad calls in two rounds (so that
 * rates over the window have something to measure), waits for the scrapes
 * that follow, and asks Prometheus's HTTP API that every counter moved as the
 * calls say, and that the README's three starting queries give data.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { missingPrometheus, startPrometheus, type RunningPrometheus, type Sample } from "./support/prometheus.js";
import type { RunningProcess } from "./support/processes.js";
import { printSummary } from "./support/summary-table.js";
import { bearer, calendarClient, notesClient, startSystem, transportFor, type TestSystem } from "./support/system.js";
import { requestToken } from "./support/tokens.js";

const missing = missingPrometheus();

let system: TestSystem;
let prometheus: RunningPrometheus;
const summary: { case: string; expected: string; observed: string }[] = [];

/** The URL a part announced with {"msg":"serving metrics","url":...}; waits for the line, which may follow "listening". */
async function metricsUrl(part: RunningProcess, name: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const url = part.logs().find((line) => line["msg"] === "serving metrics")?.["url"];
    if (typeof url === "string") return url;
    if (Date.now() > deadline) throw new Error(`${name} did not log "serving metrics" with a url:\n${part.output.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  if (missing) return;
  system = await startSystem({
    authEnv: { AUTH_METRICS_PORT: "0" },
    serviceEnv: { calendar: { CALENDAR_METRICS_PORT: "0" }, notes: { NOTES_METRICS_PORT: "0" } },
  });
  const parts = [
    ["auth-provider", system.auth],
    ["calendar", system.calendar],
    ["notes", system.notes],
  ] as const;
  prometheus = await startPrometheus(await Promise.all(parts.map(async ([job, part]) => ({ job, url: await metricsUrl(part, job) }))));
});

after(async () => {
  await prometheus?.stop();
  await system?.stop();
  if (summary.length > 0) printSummary("Prometheus queries after the calls", summary);
});

/** Rounds a sample value for the table. */
const shown = (value: number) => (Number.isInteger(value) ? String(value) : value.toPrecision(3));
const describeSamples = (samples: readonly Sample[], by: string) =>
  samples.length === 0 ? "no data" : [...samples].sort((a, b) => (a.labels[by] ?? "").localeCompare(b.labels[by] ?? "")).map((s) => `${by === "" ? "" : `${s.labels[by] ?? "?"}=`}${shown(s.value)}`).join(" ");

/** Asks `promql`, records a table row, and returns a failure message when `ok` rejects the answer. */
async function check(promql: string, expected: string, ok: (samples: Sample[]) => boolean, by = ""): Promise<string | undefined> {
  let samples: Sample[];
  try {
    samples = await prometheus.query(promql);
  } catch (err) {
    summary.push({ case: promql, expected, observed: `error: ${(err as Error).message}` });
    return `${promql}: ${(err as Error).message}`;
  }
  const observed = describeSamples(samples, by);
  summary.push({ case: promql, expected, observed });
  return ok(samples) ? undefined : `${promql}: expected ${expected}, observed ${observed}`;
}

/** One value query: the single series' value must satisfy `ok`. */
const single = (ok: (value: number) => boolean) => (samples: Sample[]) => samples.length === 1 && ok(samples[0]!.value);

test("Prometheus scrapes the auth provider and both services", { skip: missing }, async () => {
  await prometheus.scrapedAfter(Date.now(), 1);
  const up = await prometheus.query("up");
  summary.push({ case: "up", expected: "auth-provider=1 calendar=1 notes=1", observed: describeSamples(up, "job") });
  assert.deepEqual(
    Object.fromEntries(up.map((s) => [s.labels["job"], s.value])),
    { "auth-provider": 1, calendar: 1, notes: 1 },
    `targets: ${JSON.stringify(up)}\n${prometheus.output.join("\n")}`,
  );
});

test("good and bad calls and token requests move the counters Prometheus sees", { skip: missing }, async () => {
  const noToken = createClient(NoteService, transportFor("grpc", system.notes.url));
  const calendarToken = createClient(NoteService, transportFor("grpc", system.notes.url, [bearer(() => system.token("calendar-service", "calendar.read"))]));
  const readOnly = notesClient(system, "grpc", "note.read");
  const refusal = async (call: Promise<unknown>, code: Code) => {
    const error = await call.then(
      () => assert.fail("the call succeeded but should have been refused"),
      (err: unknown) => ConnectError.from(err),
    );
    assert.equal(Code[error.code], Code[code], error.rawMessage);
  };

  // Round 1: good reads on both services over gRPC and Connect, a good token request, a call without a token.
  const round = async () => {
    for (const protocol of ["grpc", "connect"] as const) {
      await notesClient(system, protocol).listNotes({});
      await calendarClient(system, protocol).listEvents({});
    }
    await requestToken(system.auth.url, system.credentials, "note-service", "note.read");
    await refusal(noToken.listNotes({}), Code.Unauthenticated);
  };
  await round();
  await prometheus.scrapedAfter(Date.now(), 1);

  // Round 2: the same again, and each kind of refusal once.
  await round();
  await refusal(calendarToken.listNotes({}), Code.Unauthenticated);
  await refusal(readOnly.createNote({ note: { title: "not allowed" } }), Code.PermissionDenied);
  await assert.rejects(
    requestToken(system.auth.url, { clientId: system.credentials.clientId, clientSecret: "wrong-secret-wrong-secret" }, "note-service", "note.read"),
    /401.*invalid_client/,
  );
  // Two scrapes that started after the last call: the second begins a second later, after every counter has moved.
  await prometheus.scrapedAfter(Date.now(), 2);

  const notes = 'component="notes",grpc_service="m2m.notes.v1.NoteService"';
  const failures = [
    await check(`sum(grpc_server_handled_total{${notes},grpc_code="Unauthenticated"})`, "3 (2 without a token, 1 wrong audience)", single((v) => v === 3)),
    await check(`sum(grpc_server_handled_total{${notes},grpc_code="PermissionDenied"})`, "1 (read-only token on a write)", single((v) => v === 1)),
    await check(
      `sum by (protocol) (grpc_server_handled_total{${notes},grpc_method="ListNotes",grpc_type="unary",grpc_code="OK"})`,
      "connect=2 grpc=2",
      (s) => s.length === 2 && s.every((x) => x.value === 2) && s.some((x) => x.labels["protocol"] === "grpc") && s.some((x) => x.labels["protocol"] === "connect"),
      "protocol",
    ),
    await check(
      `sum(grpc_server_started_total{${notes}}) - sum(grpc_server_handled_total{${notes}})`,
      "0 (every started call handled)",
      single((v) => v === 0),
    ),
    await check(`sum(grpc_server_handled_total{component="calendar",grpc_method="ListEvents",grpc_code="OK"})`, "4", single((v) => v === 4)),
    await check(`sum(grpc_server_handling_seconds_count{${notes}})`, "8 (every call timed)", single((v) => v === 8)),
    await check(`sum(m2m_auth_refused_calls_total{component="notes",reason="MISSING_TOKEN"})`, "2", single((v) => v === 2)),
    await check(`sum(m2m_auth_refused_calls_total{component="notes",reason="WRONG_AUDIENCE"})`, "1", single((v) => v === 1)),
    await check(`sum(m2m_auth_refused_calls_total{component="notes",reason="INSUFFICIENT_SCOPE",grpc_method="CreateNote"})`, "1", single((v) => v === 1)),
    await check(`sum(m2m_auth_token_cache_lookups_total{component="notes",result="hit"})`, ">= 1 (a token used twice)", single((v) => v >= 1)),
    await check(`sum(m2m_auth_jwks_fetches_total{component="notes",outcome="ok"})`, ">= 1", single((v) => v >= 1)),
    await check(`m2m_auth_jwks_age_seconds{component="notes"}`, "0 to 60 (seconds)", single((v) => v >= 0 && v < 60)),
    await check(`m2m_issuer_keys{component="auth-provider",state="active"}`, "1", single((v) => v === 1)),
    await check(`sum(m2m_oauth_token_requests_total{component="auth-provider",outcome="invalid_client"})`, ">= 1", single((v) => v >= 1)),
    await check(`sum(m2m_oauth_token_requests_total{client_id="assistant",outcome="issued"})`, ">= 2", single((v) => v >= 2)),
    await check(`sum(m2m_oauth_token_request_duration_seconds_count{component="auth-provider"})`, ">= 3", single((v) => v >= 3)),
    await check("count by (component) (process_cpu_seconds_total)", "auth-provider=1 calendar=1 notes=1", (s) => s.length === 3, "component"),
    await check("count by (component) (nodejs_eventloop_lag_seconds)", "auth-provider=1 calendar=1 notes=1", (s) => s.length === 3, "component"),
    // The README's three starting queries give data.
    await check(
      "sum by (reason) (rate(m2m_auth_refused_calls_total[5m]))",
      "MISSING_TOKEN > 0 (rows per reason)",
      (s) => s.some((x) => x.labels["reason"] === "MISSING_TOKEN" && x.value > 0),
      "reason",
    ),
    await check(
      'sum by (client_id) (rate(m2m_oauth_token_requests_total{outcome="issued"}[5m]))',
      "assistant > 0",
      (s) => s.some((x) => x.labels["client_id"] === "assistant" && x.value > 0),
      "client_id",
    ),
    await check(
      "histogram_quantile(0.99, sum by (le, grpc_method) (rate(grpc_server_handling_seconds_bucket[5m])))",
      "ListNotes > 0 (seconds)",
      (s) => s.some((x) => x.labels["grpc_method"] === "ListNotes" && Number.isFinite(x.value) && x.value > 0),
      "grpc_method",
    ),
  ].filter((failure): failure is string => failure !== undefined);
  assert.deepEqual(failures, []);
});
