/**
 * The notes service's Prometheus metrics (NOTES_METRICS_PORT=0) against a real
 * system: good and bad calls over gRPC, Connect and gRPC-Web move exactly the
 * series they should; refusals by reason, the verified-token cache, the JWKS
 * and revocation list fetches and open watches are counted; metrics are never
 * on the public port; calendar, without its port set, serves none. A bad or
 * taken metrics port stops the service naming the variable.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { expectCode } from "./support/assertions.js";
import { startProcess, tempDataDir } from "./support/processes.js";
import { bearer, serviceEnv, startSystem, transportFor, type Protocol, type TestSystem } from "./support/system.js";
import { accessClaims, signWithIssuerKey } from "./support/tokens.js";

let system: TestSystem;
let metricsUrl: string;
before(async () => {
  system = await startSystem({ serviceEnv: { notes: { NOTES_METRICS_PORT: "0" } } });
  metricsUrl = String(system.notes.logs().find((l) => l["msg"] === "serving metrics")?.["url"]);
});
after(() => system?.stop());

/** One scrape: every sample by its series (name and labels as written). */
type Scrape = Map<string, number>;

async function scrape(): Promise<Scrape> {
  const response = await fetch(metricsUrl);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  const samples: Scrape = new Map();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The value of the one series of `name` with exactly these labels (besides component="notes"); 0 when absent. */
function value(samples: Scrape, name: string, labels: Record<string, string>): number {
  const wanted = { ...labels, component: "notes" };
  const found = [...samples].filter(([series]) => {
    const match = /^([^{]+)(?:\{(.*)\})?$/.exec(series)!;
    if (match[1] !== name) return false;
    const have = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    return Object.keys(have).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => have[k] === v);
  });
  assert.ok(found.length <= 1, `more than one series of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.[1] ?? 0;
}

const moved = (a: Scrape, b: Scrape, name: string, labels: Record<string, string>) => value(b, name, labels) - value(a, name, labels);

function notes(protocol: Protocol, token?: string): Client<typeof NoteService> {
  return createClient(NoteService, transportFor(protocol, system.notes.url, token === undefined ? [] : [bearer(token)]));
}

const listNotes = { grpc_service: "m2m.notes.v1.NoteService", grpc_method: "ListNotes", grpc_type: "unary" };

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("calls over gRPC, Connect and gRPC-Web are counted by method, protocol and code; refusals by reason; cache hits and misses", async () => {
  const read = await system.token("note-service", "note.read");
  const expired = await signWithIssuerKey(system.dataDir, accessClaims(system.issuer, "note-service", ["note.read"], { exp: Math.floor(Date.now() / 1000) - 3600 }));
  const calendarToken = await system.token("calendar-service", "calendar.read");
  const start = await scrape();

  const protocols: Protocol[] = ["grpc", "connect", "grpc-web"];
  for (const protocol of protocols) {
    await notes(protocol, read).listNotes({});
    await notes(protocol, read).listNotes({});
    await expectCode(notes(protocol).listNotes({}), Code.Unauthenticated, "");
  }
  await expectCode(notes("grpc", expired).listNotes({}), Code.Unauthenticated, "expired");
  await expectCode(notes("grpc", calendarToken).listNotes({}), Code.Unauthenticated, "");
  await expectCode(notes("grpc", read).createNote({ note: { title: "t" } }), Code.PermissionDenied, "");
  await createClient(Health, transportFor("grpc", system.notes.url)).check({});
  const end = await scrape();

  for (const protocol of protocols) {
    const labels = { ...listNotes, protocol };
    assert.equal(moved(start, end, "grpc_server_started_total", labels), protocol === "grpc" ? 5 : 3, `started, ${protocol}`);
    assert.equal(moved(start, end, "grpc_server_handled_total", { ...labels, grpc_code: "OK" }), 2, `OK, ${protocol}`);
    assert.equal(moved(start, end, "grpc_server_handled_total", { ...labels, grpc_code: "Unauthenticated" }), protocol === "grpc" ? 3 : 1, `Unauthenticated, ${protocol}`);
    assert.equal(moved(start, end, "grpc_server_handling_seconds_count", labels), protocol === "grpc" ? 5 : 3, `durations, ${protocol}`);
    assert.equal(moved(start, end, "grpc_server_handling_seconds_bucket", { ...labels, le: "+Inf" }), protocol === "grpc" ? 5 : 3);
  }
  const createNote = { grpc_service: "m2m.notes.v1.NoteService", grpc_method: "CreateNote", grpc_type: "unary", protocol: "grpc" };
  assert.equal(moved(start, end, "grpc_server_handled_total", { ...createNote, grpc_code: "PermissionDenied" }), 1);
  assert.equal(moved(start, end, "grpc_server_handled_total", { grpc_service: "grpc.health.v1.Health", grpc_method: "Check", grpc_type: "unary", protocol: "grpc", grpc_code: "OK" }), 1);

  const refused = (grpc_method: string, reason: string) => moved(start, end, "m2m_auth_refused_calls_total", { grpc_service: "m2m.notes.v1.NoteService", grpc_method, reason });
  assert.equal(refused("ListNotes", "MISSING_TOKEN"), 3);
  assert.equal(refused("ListNotes", "TOKEN_EXPIRED"), 1);
  assert.equal(refused("ListNotes", "WRONG_AUDIENCE"), 1);
  assert.equal(refused("CreateNote", "INSUFFICIENT_SCOPE"), 1);

  // The first call with the note.read token verifies it (a miss), the other five ListNotes and the CreateNote find it;
  // the expired and the calendar token are misses. Calls without a token look nothing up.
  assert.equal(moved(start, end, "m2m_auth_token_cache_lookups_total", { result: "miss" }), 3);
  assert.equal(moved(start, end, "m2m_auth_token_cache_lookups_total", { result: "hit" }), 6);

  assert.ok(value(end, "m2m_auth_jwks_fetches_total", { outcome: "ok" }) >= 1, "the key set was fetched");
  const jwksAge = value(end, "m2m_auth_jwks_age_seconds", {});
  assert.ok(jwksAge >= 0 && jwksAge < 600, `the key set's age is ${jwksAge}`);
  assert.ok(value(end, "process_cpu_user_seconds_total", {}) > 0, "process metrics, labelled component=notes");
});

test("the revocation list is fetched (ok, then not_modified) and its age stays small", async () => {
  await until("a revocation list fetch", async () => {
    const s = await scrape();
    return value(s, "m2m_auth_revocation_list_fetches_total", { outcome: "ok" }) >= 1 && value(s, "m2m_auth_revocation_list_fetches_total", { outcome: "not_modified" }) >= 1;
  });
  const age = value(await scrape(), "m2m_auth_revocation_list_age_seconds", {});
  assert.ok(age >= 0 && age < 10, `the revocation list's age is ${age}`);
});

test("an open watch raises m2m_open_watch_streams until it is cancelled, then it ends as Canceled", async () => {
  const read = await system.token("note-service", "note.read");
  const watches = (s: Scrape) => value(s, "m2m_open_watch_streams", { grpc_service: "m2m.notes.v1.NoteService" });
  const watchNotes = { grpc_service: "m2m.notes.v1.NoteService", grpc_method: "WatchNotes", grpc_type: "server_stream", protocol: "grpc" };
  const start = await scrape();
  assert.equal(watches(start), 0);
  const abort = new AbortController();
  const stream = notes("grpc", read).watchNotes({}, { signal: abort.signal })[Symbol.asyncIterator]();
  await stream.next(); // WATCH_STARTED
  const open = await scrape();
  assert.equal(watches(open), 1);
  assert.equal(moved(start, open, "grpc_server_started_total", watchNotes), 1);
  assert.equal(moved(start, open, "grpc_server_handling_seconds_count", watchNotes), 0, "an open stream has no duration yet");
  abort.abort();
  await stream.next().catch(() => {});
  await until("the watch to close", async () => watches(await scrape()) === 0);
  await until("the watch to be counted", async () => moved(start, await scrape(), "grpc_server_handled_total", { ...watchNotes, grpc_code: "Canceled" }) === 1);
});

test("the public port does not serve /metrics; calendar without CALENDAR_METRICS_PORT serves none and logs nothing of metrics", async () => {
  assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  for (const url of [system.notes.url, system.calendar.url]) {
    const response = await fetch(`${url}/metrics`);
    const body = await response.text();
    assert.notEqual(response.status, 200, url);
    assert.ok(!body.includes("grpc_server_"), url);
  }
  assert.ok(!system.calendar.output.some((line) => /metrics/i.test(line)), "calendar says nothing about metrics");
  assert.equal((await fetch(metricsUrl.replace(/\/metrics$/, "/other"))).status, 404);
});

test("a bad NOTES_METRICS_PORT is a configuration error (exit 2) naming it; a taken one stops start-up (exit 1)", async () => {
  const data = tempDataDir();
  const env = serviceEnv("notes", data.path, system.issuer, system.auth.url);
  try {
    await assert.rejects(startProcess("notes/main.js", { env: { ...env, NOTES_METRICS_PORT: "70000" } }), (err: Error) => {
      assert.match(err.message, /exited with 2/);
      assert.match(err.message, /NOTES_METRICS_PORT/);
      return true;
    });
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startProcess("notes/main.js", { env: { ...env, NOTES_METRICS_PORT: String(taken) } }), (err: Error) => {
        assert.match(err.message, /exited with 1/);
        assert.match(err.message, new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${taken} \\(NOTES_METRICS_PORT\\): the port is already in use`));
        return true;
      });
    } finally {
      holder.close();
    }
  } finally {
    data.remove();
  }
});
