/** BENCH_DISABLE_AUTH=1 turns the token guard off for benchmarks, and the service says so at start-up. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { startProcess, tempDataDir } from "./support/processes.js";
import { serviceEnv, transportFor } from "./support/system.js";

test("with BENCH_DISABLE_AUTH=1 calls need no token, and the log says authentication is off", async () => {
  const data = tempDataDir();
  const notes = await startProcess("notes/main.js", { env: { ...serviceEnv("notes", data.path, "http://localhost:1/auth", "http://127.0.0.1:1"), BENCH_DISABLE_AUTH: "1" } });
  try {
    const client = createClient(NoteService, transportFor("grpc", notes.url));
    const { note } = await client.createNote({ note: { title: "no token" } });
    assert.equal(note!.createdBy, "benchmark-without-auth");
    assert.ok(notes.logs().some((l) => l["level"] === "error" && String(l["msg"]).startsWith("AUTHENTICATION IS OFF")));
  } finally {
    await notes.stop();
    data.remove();
  }
});
