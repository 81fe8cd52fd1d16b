/**
 * The notes service end to end through the generated client, over gRPC and
 * over Connect: CRUD, pagination, field-mask updates, validation errors and
 * the watch stream.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ChangeType } from "../gen/m2m/notes/v1/notes_pb.js";
import { expectCode } from "./support/assertions.js";
import { notesClient, startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
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
