/** The health reporter over an in-memory Connect transport, with a real SQLite database as its dependency. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { createHealthReporter } from "./health-service.js";
import { openSqliteDatabase } from "./sqlite-database.js";

function setUp(probeIntervalMs = 20) {
  const db = openSqliteDatabase(":memory:", []);
  const ping = db.prepare("SELECT 1");
  const reporter = createHealthReporter({ services: ["m2m.notes.v1.NoteService"], probe: () => ping.get() !== undefined, probeIntervalMs });
  const client = createClient(Health, createRouterTransport((router) => reporter.register(router)));
  return { db, reporter, client };
}

test("SERVING while the database answers, NOT_SERVING once it does not", async () => {
  const { db, client } = setUp();
  assert.equal((await client.check({})).status, Status.SERVING);
  assert.equal((await client.check({ service: "m2m.notes.v1.NoteService" })).status, Status.SERVING);
  db.close();
  assert.equal((await client.check({})).status, Status.NOT_SERVING);
});

test("Check of an unknown service is NOT_FOUND; Watch of one says SERVICE_UNKNOWN", async () => {
  const { client } = setUp();
  await assert.rejects(client.check({ service: "nope" }), (err) => ConnectError.from(err).code === Code.NotFound);
  const abort = new AbortController();
  const first = await client.watch({ service: "nope" }, { signal: abort.signal })[Symbol.asyncIterator]().next();
  assert.equal(first.value.status, Status.SERVICE_UNKNOWN);
  abort.abort();
});

test("Watch reports a failing database within a probe interval, and shutdown before the stream ends", async () => {
  const { db, reporter, client } = setUp();
  const seen: Status[] = [];
  const watching = (async () => {
    for await (const message of client.watch({})) {
      seen.push(message.status);
      if (seen.length === 2) reporter.shutDown();
    }
  })();
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
  db.close();
  await watching;
  assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);
});

test("a named component has its own status, which Watch follows; shutdown ends the watch and turns it NOT_SERVING", async () => {
  let fresh = true;
  const reporter = createHealthReporter({ services: [], probe: () => true, components: { "m2m.auth.v1.Revocations": () => fresh }, probeIntervalMs: 20 });
  const client = createClient(Health, createRouterTransport((router) => reporter.register(router)));
  assert.equal((await client.check({ service: "m2m.auth.v1.Revocations" })).status, Status.SERVING);
  fresh = false;
  assert.equal((await client.check({ service: "m2m.auth.v1.Revocations" })).status, Status.NOT_SERVING);
  assert.equal((await client.check({})).status, Status.SERVING, "the whole server goes by its probe alone");
  fresh = true;
  const seen: Status[] = [];
  for await (const message of client.watch({ service: "m2m.auth.v1.Revocations" })) {
    seen.push(message.status);
    if (seen.length === 1) fresh = false;
    if (seen.length === 2) fresh = true;
    if (seen.length === 3) reporter.shutDown();
  }
  assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING, Status.SERVING], "then the stream ended at shutdown");
  assert.equal((await client.check({ service: "m2m.auth.v1.Revocations" })).status, Status.NOT_SERVING);
});
