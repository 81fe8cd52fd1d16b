/**
 * The event store on an in-memory database: every combination of list filters (page cursor, timeMin, timeMax)
 * answers as before, and each combination's statement is prepared once, not on every list.
 */
import { create } from "@bufbuild/protobuf";
import { TimestampSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import assert from "node:assert/strict";
import { test } from "node:test";
import { openSqliteDatabase } from "../service-runtime/sqlite-database.js";
import { createEventStore, eventCursor, eventSchema, type EventQuery } from "./event-store.js";

const at = (hour: number) => timestampFromMs(Date.UTC(2030, 0, 1, hour));

function setUp() {
  const db = openSqliteDatabase(":memory:", eventSchema);
  const prepared: string[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    prepared.push(sql);
    return prepare(sql);
  }) as typeof db.prepare;
  const store = createEventStore(db);
  // Four one-hour events at 09:00, 10:00, 11:00, 12:00.
  const events = [9, 10, 11, 12].map((hour) => store.insert({ title: `at ${hour}`, description: "", startTime: at(hour), endTime: at(hour + 1) }, "test"));
  return { db, store, events, listPrepares: () => prepared.filter((sql) => sql.includes("ORDER BY")).length };
}

test("every combination of filters lists the right events, each combination prepared once", () => {
  const { db, store, events, listPrepares } = setUp();
  const titles = (query: EventQuery) => store.list(query).events.map((e) => e.title);
  const cases: [what: string, query: EventQuery, expected: string[]][] = [
    ["no filter", { limit: 10 }, ["at 9", "at 10", "at 11", "at 12"]],
    ["after the first", { limit: 10, after: eventCursor(events[0]!) }, ["at 10", "at 11", "at 12"]],
    ["ending after 11:00", { limit: 10, timeMin: at(11) }, ["at 11", "at 12"]],
    ["starting before 11:00", { limit: 10, timeMax: at(11) }, ["at 9", "at 10"]],
    ["after the first, ending after 10:30", { limit: 10, after: eventCursor(events[0]!), timeMin: create(TimestampSchema, { seconds: at(10).seconds, nanos: 1 }) }, ["at 10", "at 11", "at 12"]],
    ["after the first, starting before 12:00", { limit: 10, after: eventCursor(events[0]!), timeMax: at(12) }, ["at 10", "at 11"]],
    ["between 10:00 and 12:00", { limit: 10, timeMin: at(10), timeMax: at(12) }, ["at 10", "at 11"]],
    ["all three", { limit: 10, after: eventCursor(events[1]!), timeMin: at(10), timeMax: at(13) }, ["at 11", "at 12"]],
  ];
  for (const [what, query, expected] of cases) assert.deepEqual(titles(query), expected, what);
  assert.equal(listPrepares(), 8, "one statement per combination");
  for (const [what, query, expected] of cases) assert.deepEqual(titles(query), expected, `${what}, again`);
  assert.equal(listPrepares(), 8, "no statement prepared again");
  db.close();
});

test("pages: limit and hasMore", () => {
  const { db, store } = setUp();
  const first = store.list({ limit: 3 });
  assert.deepEqual([first.events.length, first.hasMore], [3, true]);
  const rest = store.list({ limit: 3, after: eventCursor(first.events.at(-1)!) });
  assert.deepEqual([rest.events.map((e) => e.title), rest.hasMore], [["at 12"], false]);
  db.close();
});
