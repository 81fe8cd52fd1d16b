import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { createReadRetryInterceptor } from "./read-retry-interceptor.js";

/** A notes client whose server fails the first `failures` calls of every method with `code`. */
function clientFailing(failures: number, code: Code) {
  const calls = { listNotes: 0, createNote: 0 };
  const fail = (method: keyof typeof calls) => {
    if (++calls[method] <= failures) throw new ConnectError("the replica went away", code);
  };
  const transport = createRouterTransport(
    (router) =>
      router.service(NoteService, {
        listNotes: () => (fail("listNotes"), {}),
        createNote: () => (fail("createNote"), { note: { id: "n1" } }),
      }),
    { transport: { interceptors: [createReadRetryInterceptor()] } },
  );
  return { client: createClient(NoteService, transport), calls };
}

test("a read that meets UNAVAILABLE is tried once more", async () => {
  const { client, calls } = clientFailing(1, Code.Unavailable);
  await client.listNotes({});
  assert.equal(calls.listNotes, 2);
});

test("a read is retried once only", async () => {
  const { client, calls } = clientFailing(2, Code.Unavailable);
  await assert.rejects(client.listNotes({}), (err: unknown) => ConnectError.from(err).code === Code.Unavailable);
  assert.equal(calls.listNotes, 2);
});

test("a write is never retried, and other failures are not either", async () => {
  const writes = clientFailing(1, Code.Unavailable);
  await assert.rejects(writes.client.createNote({ note: { title: "x" } }), (err: unknown) => ConnectError.from(err).code === Code.Unavailable);
  assert.equal(writes.calls.createNote, 1);
  const refused = clientFailing(1, Code.PermissionDenied);
  await assert.rejects(refused.client.listNotes({}));
  assert.equal(refused.calls.listNotes, 1);
});
