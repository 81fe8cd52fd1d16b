/**
 * The calendar service end to end through the generated client, over gRPC and
 * over Connect, on SQLite and on PostgreSQL: CRUD, pagination, time-range
 * filter, field-mask updates, validation errors, etags and the watch stream.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ChangeType } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { calendarClient, startSystem, type TestSystem } from "./support/system.js";
import { expectCode } from "./support/assertions.js";
import { backendEnv, backends } from "./support/database-backends.js";

const at = (iso: string) => timestampFromDate(new Date(iso));

for (const backend of backends) {
  describe(`calendar on ${backend}`, () => {
    let system: TestSystem;
    before(async () => {
      system = await startSystem({ serviceEnv: { calendar: await backendEnv(backend) } });
    });
    after(() => system?.stop());

    for (const protocol of ["grpc", "connect"] as const) {
      describe(`calendar over ${protocol}`, () => {
        const client = () => calendarClient(system, protocol);

        test("create, get, update with a field mask, delete", async () => {
          const { event } = await client().createEvent({
            event: { title: "  Standup  ", description: "daily", startTime: at("2030-01-01T09:00:00.123456789Z"), endTime: at("2030-01-01T09:15:00Z") },
          });
          assert.ok(event);
          assert.match(event.id, /^[0-9a-f-]{36}$/);
          assert.equal(event.title, "Standup", "the title is trimmed");
          assert.equal(event.createdBy, "assistant");
          assert.equal(event.updatedBy, "assistant");
          assert.ok(event.createTime && event.updateTime);

          const got = (await client().getEvent({ id: event.id })).event!;
          assert.equal(got.startTime!.nanos, event.startTime!.nanos, "nanoseconds are kept");
          assert.equal(got.description, "daily");

          const updated = (
            await client().updateEvent({ event: { id: event.id, title: "Stand-up", description: "ignored" }, updateMask: { paths: ["title"] } })
          ).event!;
          assert.equal(updated.title, "Stand-up");
          assert.equal(updated.description, "daily", "fields outside the mask are unchanged");
          assert.ok(timestampDate(updated.updateTime!) >= timestampDate(event.updateTime!));

          const noMask = (await client().updateEvent({ event: { id: event.id, description: "weekly" } })).event!;
          assert.equal(noMask.title, "Stand-up", "without a mask, only the fields that are set change");
          assert.equal(noMask.description, "weekly");

          await client().deleteEvent({ id: event.id });
          await expectCode(client().getEvent({ id: event.id }), Code.NotFound, `event "${event.id}" not found`);
          await expectCode(client().deleteEvent({ id: event.id }), Code.NotFound, "not found");
        });

        test("validation errors name the field and write nothing", async () => {
          const before = (await client().listEvents({ pageSize: 1000 })).events.length;
          const start = at("2030-02-01T10:00:00Z");
          await expectCode(client().createEvent({}), Code.InvalidArgument, "event: is required");
          await expectCode(client().createEvent({ event: { title: " ", startTime: start, endTime: start } }), Code.InvalidArgument, "event.title: is required");
          await expectCode(client().createEvent({ event: { title: "x".repeat(201), startTime: start, endTime: start } }), Code.InvalidArgument, "event.title: must be at most 200");
          await expectCode(client().createEvent({ event: { title: "t", endTime: start } }), Code.InvalidArgument, "event.start_time: is required");
          await expectCode(
            client().createEvent({ event: { title: "t", startTime: start, endTime: at("2030-02-01T09:00:00Z") } }),
            Code.InvalidArgument,
            "event.end_time: must not be before start_time",
          );
          await expectCode(
            client().createEvent({ event: { title: "t", description: "d".repeat(10_001), startTime: start, endTime: start } }),
            Code.InvalidArgument,
            "event.description: must be at most 10000",
          );
          await expectCode(client().getEvent({ id: "" }), Code.InvalidArgument, "id: is required");
          await expectCode(client().getEvent({ id: "no-such-event" }), Code.NotFound, 'event "no-such-event" not found');
          await expectCode(client().listEvents({ pageSize: -1 }), Code.InvalidArgument, "page_size: must not be negative");
          await expectCode(client().listEvents({ pageToken: "garbage" }), Code.InvalidArgument, "page_token: not valid");
          await expectCode(
            client().listEvents({ timeMin: at("2030-02-02T00:00:00Z"), timeMax: at("2030-02-01T00:00:00Z") }),
            Code.InvalidArgument,
            "time_max: must not be before time_min",
          );

          const { event } = await client().createEvent({ event: { title: "valid", startTime: start, endTime: at("2030-02-01T11:00:00Z") } });
          await expectCode(
            client().updateEvent({ event: { id: event!.id, endTime: at("2030-02-01T09:00:00Z") }, updateMask: { paths: ["end_time"] } }),
            Code.InvalidArgument,
            "event.end_time: must not be before start_time",
          );
          await expectCode(client().updateEvent({ event: { id: event!.id }, updateMask: { paths: ["created_by"] } }), Code.InvalidArgument, 'cannot update "created_by"');
          await expectCode(client().updateEvent({ event: { id: event!.id } }), Code.InvalidArgument, "update_mask: nothing to update");
          await expectCode(client().updateEvent({ event: { id: "nope", title: "x" } }), Code.NotFound, 'event "nope" not found');
          assert.equal((await client().getEvent({ id: event!.id })).event!.endTime!.seconds, event!.endTime!.seconds, "a refused update changed nothing");
          await client().deleteEvent({ id: event!.id });
          assert.equal((await client().listEvents({ pageSize: 1000 })).events.length, before, "refused creates wrote nothing");
        });

        test("pagination visits every event once, in start order, and the time-range filter", async () => {
          const year = protocol === "grpc" ? 2040 : 2041;
          const ids: string[] = [];
          for (let i = 0; i < 7; i++) {
            const start = at(`${year}-03-0${i + 1}T08:00:00Z`);
            ids.push((await client().createEvent({ event: { title: `e${i}`, startTime: start, endTime: at(`${year}-03-0${i + 1}T09:00:00Z`) } })).event!.id);
          }
          const range = { timeMin: at(`${year}-01-01T00:00:00Z`), timeMax: at(`${year}-12-31T00:00:00Z`) };
          const seen: string[] = [];
          let pageToken = "";
          let pages = 0;
          do {
            const page = await client().listEvents({ pageSize: 3, pageToken, ...range });
            assert.ok(page.events.length <= 3);
            seen.push(...page.events.map((e) => e.id));
            pageToken = page.nextPageToken;
            pages++;
          } while (pageToken !== "");
          assert.deepEqual(seen, ids);
          assert.equal(pages, 3);

          const middle = await client().listEvents({ timeMin: at(`${year}-03-02T08:30:00Z`), timeMax: at(`${year}-03-04T08:00:00Z`) });
          assert.deepEqual(middle.events.map((e) => e.title), ["e1", "e2"], "overlap: ends after time_min and starts before time_max");

          const first = await client().listEvents({ pageSize: 3, ...range });
          await expectCode(client().listEvents({ pageSize: 3, pageToken: first.nextPageToken }), Code.InvalidArgument, "issued for a different filter");
          for (const id of ids) await client().deleteEvent({ id });
        });

        test("watch delivers created, updated and deleted changes to every subscriber", async () => {
          const abort = new AbortController();
          const streams = [client().watchEvents({}, { signal: abort.signal }), client().watchEvents({}, { signal: abort.signal })];
          const iterators = streams.map((s) => s[Symbol.asyncIterator]());
          for (const it of iterators) {
            const first = await it.next();
            assert.equal(first.value.changeType, ChangeType.WATCH_STARTED);
          }
          const { event } = await client().createEvent({ event: { title: "watched", startTime: at("2030-05-01T10:00:00Z"), endTime: at("2030-05-01T11:00:00Z") } });
          await client().updateEvent({ event: { id: event!.id, title: "watched 2" }, updateMask: { paths: ["title"] } });
          await client().deleteEvent({ id: event!.id });
          for (const it of iterators) {
            const changes = [(await it.next()).value, (await it.next()).value, (await it.next()).value];
            assert.deepEqual(changes.map((c) => c.changeType), [ChangeType.CREATED, ChangeType.UPDATED, ChangeType.DELETED]);
            assert.deepEqual(changes.map((c) => c.event.title), ["watched", "watched 2", "watched 2"]);
            assert.ok(changes.every((c) => c.event.id === event!.id && c.changedBy === "assistant"));
          }
          abort.abort();
          for (const it of iterators) await assert.rejects(it.next(), (err) => ConnectError.from(err).code === Code.Canceled);
        });

        test("watch needs calendar.read; a write-only token is refused", async () => {
          // Over HTTP/1.1 a refusal sent before the streaming request body was read closes the connection
          // (connection-tracker.ts), and Node's client may then report its own write's EPIPE instead of the
          // status (a race, seen about once in five runs): the Connect case asks over HTTP/2 (gRPC-Web) instead.
          const writer = calendarClient(system, protocol === "connect" ? "grpc-web" : protocol, "calendar.write");
          const stream = writer.watchEvents({});
          await assert.rejects(stream[Symbol.asyncIterator]().next(), (err) => ConnectError.from(err).code === Code.PermissionDenied);
        });
      });
    }

    test("an update with a stale etag is ABORTED, a delete naming one too", async () => {
      const client = calendarClient(system, "grpc");
      const { event } = await client.createEvent({ event: { title: "contested", startTime: at("2030-06-01T10:00:00Z"), endTime: at("2030-06-01T11:00:00Z") } });
      await client.updateEvent({ event: { id: event!.id, title: "first", etag: event!.etag }, updateMask: { paths: ["title"] } });
      await expectCode(client.updateEvent({ event: { id: event!.id, title: "second", etag: event!.etag }, updateMask: { paths: ["title"] } }), Code.Aborted, "changed since it was read");
      await expectCode(client.deleteEvent({ id: event!.id, etag: event!.etag }), Code.Aborted, "changed since it was read");
      assert.equal((await client.getEvent({ id: event!.id })).event!.title, "first");
      await client.deleteEvent({ id: event!.id });
    });
  });
}
