/**
 * BENCH_DISABLE_AUTH=1 turns the token guard off for benchmarks, and
 * BENCH_DISABLE_AUTH=switch lets SIGUSR2 turn it off and on; the service says
 * so in its log each time.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
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

test("with BENCH_DISABLE_AUTH=switch auth starts on, and each SIGUSR2 turns it off or on again", async () => {
  const data = tempDataDir();
  const notes = await startProcess("notes/main.js", { env: { ...serviceEnv("notes", data.path, "http://localhost:1/auth", "http://127.0.0.1:1"), BENCH_DISABLE_AUTH: "switch" } });
  const client = createClient(NoteService, transportFor("grpc", notes.url));
  /** The code of a call without a token: OK once auth is off, UNAUTHENTICATED while it is on. */
  const codeWithoutToken = () => client.listNotes({}).then(() => "OK", (err) => Code[ConnectError.from(err).code]);
  /** Sends SIGUSR2 and waits (bounded) until a call without a token gets `expected`. */
  const flip = async (expected: string) => {
    notes.child.kill("SIGUSR2");
    let code = "";
    for (let i = 0; i < 100 && code !== expected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      code = await codeWithoutToken();
    }
    return code;
  };
  try {
    assert.equal(await codeWithoutToken(), "Unauthenticated", "on at start-up");
    assert.equal(await flip("OK"), "OK", "off after one SIGUSR2");
    assert.equal(await flip("Unauthenticated"), "Unauthenticated", "on again after the second");
    const messages = notes.logs().filter((l) => l["level"] === "error").map((l) => String(l["msg"]));
    assert.ok(messages.some((m) => m.startsWith("AUTHENTICATION CAN BE SWITCHED OFF")));
    assert.ok(messages.some((m) => m.startsWith("AUTHENTICATION IS OFF (SIGUSR2)")));
    assert.ok(messages.includes("authentication is on again (SIGUSR2)"));
  } finally {
    await notes.stop();
    data.remove();
  }
});
