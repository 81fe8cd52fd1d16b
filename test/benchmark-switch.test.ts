/**
 * The token guard cannot be turned off in the product: no setting of a
 * production entry point reaches it (a stray BENCH_DISABLE_AUTH, the old
 * benchmark switch, changes nothing). The benchmark composes its own notes
 * entry point, where SIGUSR2 turns auth off and on, and it says so in its log
 * each time.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { startProcess, tempDataDir } from "./support/processes.js";
import { serviceEnv, transportFor } from "./support/system.js";

/** The code of a read without a token at the given service. */
function readWithoutToken(name: "calendar" | "notes", url: string): Promise<string> {
  const read = name === "notes" ? createClient(NoteService, transportFor("grpc", url)).listNotes({}) : createClient(CalendarService, transportFor("grpc", url)).listEvents({});
  return read.then(() => "OK", (err: unknown) => Code[ConnectError.from(err).code]);
}

for (const name of ["notes", "calendar"] as const) {
  test(`${name}/main.js demands a token whatever BENCH_DISABLE_AUTH says`, async () => {
    for (const value of ["1", "switch"]) {
      const data = tempDataDir();
      const service = await startProcess(`${name}/main.js`, { env: { ...serviceEnv(name, data.path, "http://localhost:1/auth", "http://127.0.0.1:1"), BENCH_DISABLE_AUTH: value } });
      try {
        assert.equal(await readWithoutToken(name, service.url), "Unauthenticated", `BENCH_DISABLE_AUTH=${value}`);
        assert.ok(!service.output.some((line) => /AUTHENTICATION (IS|CAN BE SWITCHED) OFF/.test(line)), service.output.join("\n"));
      } finally {
        await service.stop();
        data.remove();
      }
    }
  });
}

test("the benchmark's notes entry point starts with auth on, and each SIGUSR2 turns it off or on again", async () => {
  const data = tempDataDir();
  const notes = await startProcess("bench/notes-with-auth-switch.js", { env: serviceEnv("notes", data.path, "http://localhost:1/auth", "http://127.0.0.1:1") });
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
