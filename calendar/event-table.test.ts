/**
 * The event table on both backends, through the shared resource store: every
 * combination of list filters (page cursor, time_min, time_max) answers the
 * same, pages end where they should, a stale etag is ABORTED, and the change
 * log replays in sequence order and says OUT_OF_RANGE once trimmed.
 */
import { create } from "@bufbuild/protobuf";
import { TimestampSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, test } from "node:test";
import { backends, openTestDatabase } from "../test/support/database-backends.js";
import { openResource } from "../service-runtime/resources/open-resource.js";
import { resourceMigrations } from "../service-runtime/resources/resource-table.js";
import type { ListQuery } from "../service-runtime/resources/resource-store.js";
import { createLogger } from "../common/json-logger.js";
import { eventTable, timeRange } from "./calendar-service.js";

const at = (hour: number) => timestampFromMs(Date.UTC(2030, 0, 1, hour));
const logger = createLogger({ component: "test", level: "error" });

for (const backend of backends) {
  describe(`events on ${backend}`, () => {
    let data: ReturnType<typeof openResource<typeof eventTable.schema, Parameters<typeof eventTable.columnsOf>[0]>>;
    before(async () => {
      const database = await openTestDatabase(backend, "calendar", resourceMigrations(eventTable));
      data = openResource(database, eventTable, { keep: 3 }, logger);
    });
    const insert = (hour: number) => data.store.insert({ title: `at ${hour}`, description: "", startTime: at(hour), endTime: at(hour + 1) }, "test");

    test("every combination of filters lists the right events; pages and hasMore", async () => {
      // Four one-hour events at 09:00, 10:00, 11:00, 12:00.
      const events: Awaited<ReturnType<typeof insert>>[] = [];
      for (const hour of [9, 10, 11, 12]) events.push(await insert(hour));
      const after = (i: number) => ({ columns: eventTable.listIndex.columns, op: ">" as const, values: eventTable.cursorOf(events[i]!) });
      const range = (timeMin?: ReturnType<typeof at>, timeMax?: ReturnType<typeof at>) => timeRange({ timeMin, timeMax }).where;
      const titles = async (query: ListQuery) => (await data.store.list(query)).items.map((e) => e.title);
      const cases: [what: string, query: ListQuery, expected: string[]][] = [
        ["no filter", { limit: 10, where: [] }, ["at 9", "at 10", "at 11", "at 12"]],
        ["after the first", { limit: 10, where: [after(0)] }, ["at 10", "at 11", "at 12"]],
        ["ending after 11:00", { limit: 10, where: range(at(11)) }, ["at 11", "at 12"]],
        ["starting before 11:00", { limit: 10, where: range(undefined, at(11)) }, ["at 9", "at 10"]],
        ["after the first, ending after 10:00 + 1 ns", { limit: 10, where: [...range(create(TimestampSchema, { seconds: at(10).seconds, nanos: 1 })), after(0)] }, ["at 10", "at 11", "at 12"]],
        ["between 10:00 and 12:00", { limit: 10, where: range(at(10), at(12)) }, ["at 10", "at 11"]],
        ["all three", { limit: 10, where: [...range(at(10), at(13)), after(1)] }, ["at 11", "at 12"]],
      ];
      for (const [what, query, expected] of cases) assert.deepEqual(await titles(query), expected, what);
      const first = await data.store.list({ limit: 3, where: [] });
      assert.deepEqual([first.items.length, first.hasMore], [3, true]);
      const rest = await data.store.list({ limit: 3, where: [after(2)] });
      assert.deepEqual([rest.items.map((e) => e.title), rest.hasMore], [["at 12"], false]);
      assert.equal(rest.items[0]!.startTime!.seconds, at(12).seconds, "timestamps come back exact");
    });

    test("a stale etag is ABORTED; the current one, or none, works", async () => {
      const event = await insert(14);
      const fields = (title: string) => () => ({ title, description: "", startTime: at(14), endTime: at(15) });
      const changed = (await data.store.update(event.id, fields("changed"), "a", event.etag))!;
      assert.notEqual(changed.etag, event.etag, "every write changes the etag");
      await assert.rejects(data.store.update(event.id, fields("lost"), "b", event.etag), (err) => {
        const e = ConnectError.from(err);
        return e.code === Code.Aborted && /changed since it was read/.test(e.rawMessage);
      });
      await assert.rejects(data.store.delete(event.id, "b", event.etag), (err) => ConnectError.from(err).code === Code.Aborted);
      assert.equal((await data.store.get(event.id))!.title, "changed", "the refused writes changed nothing");
      assert.ok(await data.store.update(event.id, fields("again"), "b"), "without an etag, as before");
      assert.ok(await data.store.delete(event.id, "b", (await data.store.get(event.id))!.etag));
    });

    test("the change log replays in sequence order and is OUT_OF_RANGE once trimmed", async () => {
      const latest = await data.store.latestSequence();
      assert.ok(latest >= 7, `sequence ${latest}`);
      const recent = await data.store.changesAfter(latest - 2, 10);
      assert.deepEqual(recent.map((c) => c.sequence), [latest - 1, latest]);
      assert.deepEqual(await data.store.changesAfter(latest, 10), []);
      await assert.rejects(data.store.changesAfter(latest + 1, 10), (err) => ConnectError.from(err).code === Code.OutOfRange);
      // Trimming keeps the last 3 at every 64th sequence.
      while ((await data.store.latestSequence()) < 64) await insert(20);
      await assert.rejects(data.store.changesAfter(1, 10), (err) => {
        const e = ConnectError.from(err);
        return e.code === Code.OutOfRange && /no longer kept/.test(e.rawMessage);
      });
      assert.equal((await data.store.changesAfter(61, 10)).length, 3);
    });
  });
}

test("the events table's migrations are pinned: a released migration never changes", () => {
  const migrations = resourceMigrations(eventTable);
  assert.deepEqual(
    migrations.map((m) => [m.version, m.name]),
    [
      [1, "events table"],
      [2, "events revision and change log"],
    ],
  );
  // Changing the table's columns would change migration 1, which existing databases have already run:
  // add a migration instead, then update this pin.
  assert.equal(createHash("sha256").update(JSON.stringify(migrations)).digest("hex").slice(0, 16), "680799e2eaf83034");
});
