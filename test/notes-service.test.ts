/**
 * The notes service end to end through the generated client, over gRPC and
 * over Connect, on SQLite and on PostgreSQL: CRUD, pagination, field-mask
 * updates, validation errors, etags, and the watch stream with its replay
 * (since_sequence) and OUT_OF_RANGE once the change log is trimmed.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ChangeType, type WatchNotesResponse } from "../gen/m2m/notes/v1/notes_pb.js";
import { expectCode } from "./support/assertions.js";
import { backendEnv, backends } from "./support/database-backends.js";
import { notesClient, startSystem, type TestSystem } from "./support/system.js";

for (const backend of backends) {
  describe(`notes on ${backend}`, () => {
    let system: TestSystem;
    before(async () => {
      // A small change log (trimmed every 64 changes to the last 70), so that trimming is reached quickly.
      system = await startSystem({ serviceEnv: { notes: { ...(await backendEnv(backend)), SERVICE_CHANGE_LOG_SIZE: "70" } } });
    });
    after(() => system?.stop());

    for (const protocol of ["grpc", "connect"] as const) {
      describe(`notes over ${protocol}`, () => {
        const client = () => notesClient(system, protocol);

        test("create, get, update with a field mask, delete", async () => {
          const { note } = await client().createNote({ note: { title: "Groceries", description: "milk\neggs" } });
          assert.ok(note);
          assert.equal(note.createdBy, "assistant");
          assert.equal((await client().getNote({ id: note.id })).note!.description, "milk\neggs");

          const updated = (await client().updateNote({ note: { id: note.id, title: "ignored", description: "bread" }, updateMask: { paths: ["description"] } })).note!;
          assert.equal(updated.title, "Groceries");
          assert.equal(updated.description, "bread");

          const replaced = (await client().updateNote({ note: { id: note.id, title: "Shopping" }, updateMask: { paths: ["*"] } })).note!;
          assert.equal(replaced.title, "Shopping");
          assert.equal(replaced.description, "", '"*" replaces every updatable field');

          await client().deleteNote({ id: note.id });
          await expectCode(client().getNote({ id: note.id }), Code.NotFound, `note "${note.id}" not found`);
        });

        test("validation errors name the field and write nothing", async () => {
          const before = (await client().listNotes({ pageSize: 1000 })).notes.length;
          await expectCode(client().createNote({}), Code.InvalidArgument, "note: is required");
          await expectCode(client().createNote({ note: { title: "" } }), Code.InvalidArgument, "note.title: is required");
          await expectCode(client().createNote({ note: { title: "a\u0007b" } }), Code.InvalidArgument, "note.title: must not contain control characters");
          await expectCode(client().createNote({ note: { title: "t", description: "x".repeat(100_001) } }), Code.InvalidArgument, "note.description: must be at most 100000");
          await expectCode(client().updateNote({ note: { title: "x" } }), Code.InvalidArgument, "note.id: is required");
          await expectCode(client().updateNote({ note: { id: "nope", title: "x" } }), Code.NotFound, 'note "nope" not found');
          await expectCode(client().listNotes({ pageToken: "eyJjIjpbMV0sImYiOiJ4In0" }), Code.InvalidArgument, "page_token: not valid");
          assert.equal((await client().listNotes({ pageSize: 1000 })).notes.length, before);
        });

        test("pagination visits every note once, oldest first", async () => {
          const ids: string[] = [];
          for (let i = 0; i < 5; i++) {
            ids.push((await client().createNote({ note: { title: `n${i}` } })).note!.id);
            await new Promise((r) => setTimeout(r, 2)); // distinct creation times keep the expected order exact
          }
          const seen: string[] = [];
          let pageToken = "";
          do {
            const page = await client().listNotes({ pageSize: 2, pageToken });
            seen.push(...page.notes.map((n) => n.id));
            pageToken = page.nextPageToken;
          } while (pageToken !== "");
          assert.deepEqual(seen.filter((id) => ids.includes(id)), ids);
          assert.equal(new Set(seen).size, seen.length, "no note twice");
          for (const id of ids) await client().deleteNote({ id });
        });

        test("watch delivers created, updated and deleted changes", async () => {
          const abort = new AbortController();
          const it = client().watchNotes({}, { signal: abort.signal })[Symbol.asyncIterator]();
          assert.equal((await it.next()).value.changeType, ChangeType.WATCH_STARTED);
          const { note } = await client().createNote({ note: { title: "watched" } });
          await client().updateNote({ note: { id: note!.id, title: "watched 2" } });
          await client().deleteNote({ id: note!.id });
          const types = [(await it.next()).value.changeType, (await it.next()).value.changeType, (await it.next()).value.changeType];
          assert.deepEqual(types, [ChangeType.CREATED, ChangeType.UPDATED, ChangeType.DELETED]);
          abort.abort();
        });

        test("a note-service token with only note.read cannot write", async () => {
          await expectCode(notesClient(system, protocol, "note.read").createNote({ note: { title: "x" } }), Code.PermissionDenied, "lacks the scope note.write");
        });
      });
    }

    describe("etags and resumable watches", () => {
      const client = () => notesClient(system, "grpc");

      test("an update or delete with a stale etag is ABORTED; with the current one, or none, it works", async () => {
        const { note } = await client().createNote({ note: { title: "shared" } });
        assert.ok(note!.etag !== "");
        const mine = (await client().updateNote({ note: { id: note!.id, title: "mine", etag: note!.etag } })).note!;
        assert.notEqual(mine.etag, note!.etag);
        await expectCode(client().updateNote({ note: { id: note!.id, title: "theirs", etag: note!.etag } }), Code.Aborted, "changed since it was read");
        await expectCode(client().deleteNote({ id: note!.id, etag: note!.etag }), Code.Aborted, "changed since it was read");
        assert.equal((await client().getNote({ id: note!.id })).note!.title, "mine");
        await client().updateNote({ note: { id: note!.id, title: "no etag" } });
        await client().deleteNote({ id: note!.id, etag: (await client().getNote({ id: note!.id })).note!.etag });
      });

      test("since_sequence replays every later change once, then continues live; OUT_OF_RANGE once trimmed", async () => {
        const abort = new AbortController();
        const first = client().watchNotes({}, { signal: abort.signal })[Symbol.asyncIterator]();
        const started = (await first.next()).value as WatchNotesResponse;
        const { note } = await client().createNote({ note: { title: "resume" } });
        const seen = (await first.next()).value as WatchNotesResponse;
        assert.equal(seen.sequence, started.sequence + 1n);
        abort.abort();
        // Missed while disconnected: an update and a delete.
        await client().updateNote({ note: { id: note!.id, title: "resume 2" } });
        await client().deleteNote({ id: note!.id });

        const again = new AbortController();
        const resumed = client().watchNotes({ sinceSequence: seen.sequence }, { signal: again.signal })[Symbol.asyncIterator]();
        assert.equal(((await resumed.next()).value as WatchNotesResponse).changeType, ChangeType.WATCH_STARTED);
        const replayed = [(await resumed.next()).value, (await resumed.next()).value] as WatchNotesResponse[];
        assert.deepEqual(replayed.map((c) => [c.changeType, c.sequence, c.note!.title]), [
          [ChangeType.UPDATED, seen.sequence + 1n, "resume 2"],
          [ChangeType.DELETED, seen.sequence + 2n, "resume 2"],
        ]);
        const { note: live } = await client().createNote({ note: { title: "live" } });
        const next = (await resumed.next()).value as WatchNotesResponse;
        assert.deepEqual([next.changeType, next.sequence, next.note!.id], [ChangeType.CREATED, seen.sequence + 3n, live!.id], "no gap, no duplicate at the seam");
        again.abort();

        // 130 more changes: the log now keeps only the last 70 or so, and the start of this test is gone.
        for (let i = 0; i < 65; i++) await client().updateNote({ note: { id: live!.id, description: `edit ${i}` } });
        for (let i = 0; i < 65; i++) await client().updateNote({ note: { id: live!.id, description: `again ${i}` } });
        const gone = client().watchNotes({ sinceSequence: seen.sequence })[Symbol.asyncIterator]();
        await expectCode(gone.next(), Code.OutOfRange, "no longer kept");
        await expectCode(client().watchNotes({ sinceSequence: 1_000_000n })[Symbol.asyncIterator]().next(), Code.OutOfRange, "beyond the last change");
        await client().deleteNote({ id: live!.id });
      });
    });
  });
}
