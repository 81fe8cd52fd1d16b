/** Health of a running service: SERVING, then NOT_SERVING as soon as it starts shutting down. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { startSystem, transportFor, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

test("a health watcher sees NOT_SERVING when the service gets SIGTERM, then the stream ends", async () => {
  const health = createClient(Health, transportFor("grpc", system.calendar.url));
  assert.equal((await health.check({ service: "m2m.calendar.v1.CalendarService" })).status, Status.SERVING);
  const seen: Status[] = [];
  let stopping: Promise<number | null> | undefined;
  for await (const message of health.watch({})) {
    seen.push(message.status);
    if (message.status === Status.SERVING) stopping = system.calendar.stop("SIGTERM");
  }
  assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);
  assert.equal(await stopping, 0);
  await system.restart("calendar");
});
