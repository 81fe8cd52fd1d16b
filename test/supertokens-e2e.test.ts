/**
 * The whole system through a real SuperTokens core (with Ory Hydra and an
 * OAuth licence, or the managed service). Runs only when
 * SUPERTOKENS_CONNECTION_URI is set (and SUPERTOKENS_API_KEY if the core needs
 * one); otherwise it reports itself as skipped.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { startProcess, tempDataDir } from "./support/processes.js";
import { bearer, serviceEnv, transportFor } from "./support/system.js";
import { readAssistantCredentials, requestToken } from "./support/tokens.js";

const core = process.env["SUPERTOKENS_CONNECTION_URI"];
const skip = core ? false : "SUPERTOKENS_CONNECTION_URI is not set: there is no SuperTokens core to test against";

test("tokens from a SuperTokens core work at both services, each only for its own audience and scopes", { skip, timeout: 120_000 }, async () => {
  const data = tempDataDir();
  const auth = await startProcess("auth-provider/main.js", {
    env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: data.path, SUPERTOKENS_CONNECTION_URI: core, SUPERTOKENS_API_KEY: process.env["SUPERTOKENS_API_KEY"] },
  });
  const processes = [auth];
  try {
    const deadline = Date.now() + 60_000;
    while ((await fetch(`${auth.url}/healthz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`the SuperTokens backend did not get ready:\n${auth.output.join("\n")}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const issuer = String(auth.logs().find((l) => l["msg"] === "listening")?.["issuer"]);
    const calendar = await startProcess("calendar/main.js", { env: serviceEnv("calendar", data.path, issuer, auth.url) });
    const notes = await startProcess("notes/main.js", { env: serviceEnv("notes", data.path, issuer, auth.url) });
    processes.push(calendar, notes);

    const credentials = readAssistantCredentials(data.path);
    const calendarToken = await requestToken(auth.url, credentials, "calendar-service", "calendar.read calendar.write");
    assert.equal(decodeProtectedHeader(calendarToken).alg, "RS256");
    assert.equal(decodeJwt(calendarToken)["stt"], 1);

    const cal = createClient(CalendarService, transportFor("grpc", calendar.url, [bearer(calendarToken)]));
    const { event } = await cal.createEvent({ event: { title: "via SuperTokens", startTime: { seconds: 1_900_000_000n }, endTime: { seconds: 1_900_003_600n } } });
    assert.equal(event!.createdBy, credentials.clientId);

    const wrongAudience = createClient(NoteService, transportFor("grpc", notes.url, [bearer(calendarToken)]));
    await assert.rejects(wrongAudience.listNotes({}), (err) => ConnectError.from(err).code === Code.Unauthenticated);
    const readOnly = await requestToken(auth.url, credentials, "note-service", "note.read");
    const reader = createClient(NoteService, transportFor("grpc", notes.url, [bearer(readOnly)]));
    await reader.listNotes({});
    await assert.rejects(reader.createNote({ note: { title: "no" } }), (err) => ConnectError.from(err).code === Code.PermissionDenied);
  } finally {
    for (const p of processes.reverse()) await p.stop();
    data.remove();
  }
});
