/**
 * The auth provider goes away under steady load: calls with tokens signed by
 * keys the services already hold keep succeeding, tokens with an unknown key id
 * fail fast with UNAUTHENTICATED, and the services do not hammer the JWKS
 * endpoint (bounded, counted refetches).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { startProcess } from "./support/processes.js";
import { printSummary } from "./support/summary-table.js";
import { bearer, startSystem, transportFor, type TestSystem } from "./support/system.js";
import { accessClaims, signWithForeignKey } from "./support/tokens.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

const jwksFetches = (p: { logs(): Record<string, unknown>[] }) =>
  p.logs().filter((l) => typeof l["msg"] === "string" && /auth provider's keys/.test(l["msg"] as string)).length;

test("calls keep succeeding while the auth provider is down; unknown key ids fail fast; the JWKS is not hammered", async () => {
  const calendarToken = await system.token("calendar-service", "calendar.read");
  const notesToken = await system.token("note-service", "note.read");
  const calendar = createClient(CalendarService, transportFor("grpc", system.calendar.url, [bearer(calendarToken)]));
  const notes = createClient(NoteService, transportFor("grpc", system.notes.url, [bearer(notesToken)]));
  const unknownKid = await signWithForeignKey(accessClaims(system.issuer, "calendar-service", ["calendar.read"]), { kid: "rotated-away" });
  const stranger = createClient(CalendarService, transportFor("grpc", system.calendar.url, [bearer(unknownKid)]));

  let calls = 0;
  let failures = 0;
  let stop = false;
  const load = async (call: () => Promise<unknown>) => {
    while (!stop) {
      try {
        await call();
        calls++;
      } catch {
        failures++;
      }
    }
  };
  const fetchesBefore = jwksFetches(system.calendar) + jwksFetches(system.notes);
  const readCalendar = () => calendar.listEvents({ pageSize: 1 }, { timeoutMs: 5000 });
  const readNotes = () => notes.listNotes({ pageSize: 1 }, { timeoutMs: 5000 });
  const loops = [load(readCalendar), load(readCalendar), load(readNotes), load(readNotes)];
  await new Promise((r) => setTimeout(r, 500));

  const authPort = system.auth.port;
  await system.auth.stop();
  const callsBeforeOutage = calls;

  // During the outage: unknown kids are refused quickly, again and again, without piling up fetches.
  let unknownRefused = 0;
  let slowest = 0;
  for (let i = 0; i < 30; i++) {
    const started = performance.now();
    try {
      await stranger.listEvents({}, { timeoutMs: 3000 });
    } catch (err) {
      if (ConnectError.from(err).code === Code.Unauthenticated) unknownRefused++;
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  await new Promise((r) => setTimeout(r, 1500));
  const callsDuringOutage = calls - callsBeforeOutage;
  const fetchesDuringOutage = jwksFetches(system.calendar) + jwksFetches(system.notes) - fetchesBefore;

  // The provider comes back on the same port and data: keys are the same, nothing else changes.
  system.auth = await startProcess("auth-provider/main.js", { env: { AUTH_PORT: String(authPort), AUTH_HOST: "127.0.0.1", DATA_DIR: system.dataDir } });
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await Promise.all(loops);

  printSummary("JWKS outage under steady load", [
    { case: "calls with known keys during the outage", expected: "> 0, all OK", observed: `${callsDuringOutage} OK` },
    { case: "failed calls in the whole run", expected: "0", observed: String(failures) },
    { case: "unknown-kid tokens refused UNAUTHENTICATED", expected: "30 of 30", observed: `${unknownRefused} of 30` },
    { case: "slowest unknown-kid refusal", expected: "no hang (< 3 s deadline)", observed: `${Math.round(slowest)} ms` },
    { case: "JWKS fetch attempts by both services in the outage", expected: "≤ 2 (one per service per 10 s)", observed: String(fetchesDuringOutage) },
  ]);
  assert.equal(failures, 0);
  assert.ok(callsDuringOutage > 0);
  assert.equal(unknownRefused, 30);
  assert.ok(fetchesDuringOutage <= 2, `${fetchesDuringOutage} fetch attempts`);
});
