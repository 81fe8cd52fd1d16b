/** The terminal UI against the real system: tabs, forms, live watch updates. */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { render } from "ink-testing-library";
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { createTestAssistantSession, waitForFrame, type TestAssistantSession } from "./support/assistant-session.js";
import { calendarClient, notesClient, startSystem, type TestSystem } from "./support/system.js";
import { AssistantApp } from "../assistant-cli/ui/assistant-app.js";

const down = "\u001B[B";
const up = "\u001B[A";
const enter = "\r";
const escape = "\u001B";
const tab = "\t";
const hour = 3_600_000;

let system: TestSystem;
let assistant: TestAssistantSession;

before(async () => {
  system = await startSystem();
  assistant = createTestAssistantSession(system);
});

const mounted: { unmount(): void }[] = [];
afterEach(() => {
  // A failed test must not leave an app reconnecting in the background.
  for (const app of mounted.splice(0)) app.unmount();
});

after(async () => {
  await system?.stop();
  assistant?.remove();
});

/** Renders the app and waits until both tabs are live. */
async function start(onExit?: () => void) {
  const app = render(<AssistantApp session={assistant.session} onExit={onExit} />);
  mounted.push(app);
  const frame = (predicate: (frame: string) => boolean, timeoutMs?: number) => waitForFrame(app.lastFrame, predicate, timeoutMs);
  const has = (...parts: string[]) => frame((f) => parts.every((p) => f.includes(p)));
  /** Writes `keys` once the frame has shown everything before. */
  const press = async (keys: string, ...expect: string[]) => {
    app.stdin.write(keys);
    await has(...expect);
  };
  /** Moves the selection to the row that contains `title`. */
  const select = async (title: string) => {
    for (let step = 0; step < 50; step++) {
      const lines = (await has(title)).split("\n");
      const at = lines.findIndex((l) => l.includes(title) && !l.includes("│"));
      const cursor = lines.findIndex((l) => l.startsWith("›"));
      if (at === cursor) return;
      const before = lines[cursor];
      app.stdin.write(at > cursor ? down : up);
      await frame((f) => f.split("\n").find((l) => l.startsWith("›")) !== before);
    }
    assert.fail(`could not select ${title}`);
  };
  await has("Events (", "● live", "Notes (");
  await frame((f) => (f.match(/● live/g) ?? []).length === 2);
  return { ...app, frame, has, press, select };
}

function event(title: string, startInHours: number, description = "") {
  const start = Date.now() + startInHours * hour;
  return { title, description, startTime: timestampFromDate(new Date(start)), endTime: timestampFromDate(new Date(start + hour)) };
}

describe("assistant terminal UI", () => {
  test("lists events and notes created beforehand, with details of the selected one", async () => {
    const calendar = calendarClient(system, "grpc");
    await calendar.createEvent({ event: event("Standup before", 1, "daily sync\nsecond line") });
    await calendar.createEvent({ event: event("Retro before", 2) });
    await notesClient(system, "grpc").createNote({ note: { title: "Shopping before", description: "milk\neggs" } });
    const ui = await start();
    await ui.has("Standup before", "Retro before");
    await ui.select("Standup before");
    await ui.has("daily sync", "second line", `created by ${system.credentials.clientId}`);
    await ui.press(tab, "Shopping before", "milk");
    await ui.press("\u001B[D", "Standup before");
    ui.unmount();
  });

  test("adds an event and a note through the form", async () => {
    const ui = await start();
    await ui.press("a", "Add event");
    await ui.press("Planning added", "Planning added");
    await ui.press(enter, "› start");
    await ui.press("+3h", "+3h");
    await ui.press(enter, "› end");
    await ui.press(enter, "› description");
    await ui.press("agenda first", "agenda first");
    await ui.press(enter, 'added event "Planning added"');
    const listed = (await assistant.session.calendar.listEvents({ pageSize: 1000 })).events.find((e) => e.title === "Planning added");
    assert.ok(listed, "the event exists on the server");
    assert.equal(listed.description, "agenda first");
    assert.equal(Number(listed.endTime!.seconds - listed.startTime!.seconds), 3600, "an empty end is one hour after start");
    const frame = await ui.has("Planning added", "agenda first");
    assert.ok(!frame.includes("Add event"), "the form closed");

    await ui.press(tab, "title                           description");
    await ui.press("a", "Add note");
    await ui.press("Note added", "Note added");
    await ui.press(enter);
    await ui.press("first line\\nsecond line", "second line");
    await ui.press(enter, 'added note "Note added"');
    const note = (await assistant.session.notes.listNotes({ pageSize: 1000 })).notes.find((n) => n.title === "Note added");
    assert.equal(note?.description, "first line\nsecond line");
    ui.unmount();
  });

  test("edits the title of an event and sends only that field", async () => {
    const created = (await calendarClient(system, "grpc").createEvent({ event: event("Dentist", 30, "bring card") })).event!;
    const ui = await start();
    await ui.select("Dentist");
    await ui.press("e", 'Edit event "Dentist"');
    await ui.press(" (moved)", "Dentist (moved)");
    await ui.press(enter);
    await ui.press(enter);
    await ui.press(enter);
    await ui.press(enter, 'saved event "Dentist (moved)"');
    const { event: saved } = await assistant.session.calendar.getEvent({ id: created.id });
    assert.equal(saved?.title, "Dentist (moved)");
    assert.equal(saved?.description, "bring card");
    assert.deepEqual(saved?.startTime, created.startTime);
    assert.deepEqual(saved?.endTime, created.endTime);
    ui.unmount();
  });

  test("deletes after y; n keeps the item", async () => {
    const created = (await notesClient(system, "grpc").createNote({ note: { title: "Delete me", description: "" } })).note!;
    const ui = await start();
    await ui.press(tab, "title                           description");
    await ui.select("Delete me");
    await ui.press("d", 'Delete note "Delete me"? (y/n)');
    await ui.press("n", 'kept note "Delete me"');
    assert.ok((await assistant.session.notes.getNote({ id: created.id })).note);
    await ui.press("d", 'Delete note "Delete me"? (y/n)');
    await ui.press("y", 'deleted note "Delete me"');
    await ui.frame((f) => !f.split("\n").some((l) => l.includes("Delete me") && !l.includes("deleted")));
    await assert.rejects(assistant.session.notes.getNote({ id: created.id }), /not found/i);
    ui.unmount();
  });

  test("a bad time or a rejected field shows the error and keeps the form and its input", async () => {
    const ui = await start();
    const field = (name: string, value: string) => new RegExp(`› ${name}\\s+${value.replace(/[+]/g, "\\+")}\\s*│`);
    await ui.press("a", "Add event");
    await ui.press("Bad time", "Bad time");
    await ui.press(enter, "› start");
    await ui.press("tomorrowish", "tomorrowish");
    await ui.press(enter, "› end");
    await ui.press("+1h", "+1h");
    await ui.press(enter, "› description");
    await ui.press(enter, '✗ start "tomorrowish" is not a time');
    await ui.has("Add event", "Bad time", "tomorrowish", "+1h");
    // Fix the start to a time after the end: the server refuses with INVALID_ARGUMENT.
    await ui.press(up, "› end");
    await ui.press(up, "› start");
    for (let left = "tomorrowish".length - 1; left >= 0; left--) {
      ui.stdin.write("\u007F");
      // An empty field shows its placeholder.
      await ui.frame((f) => field("start", left > 0 ? "tomorrowish".slice(0, left) : "2030-01-31T09:00, +1h, +2d").test(f));
    }
    await ui.press("+2h", "+2h");
    await ui.press(tab, "› end");
    await ui.press(tab, "› description");
    await ui.press(enter, "✗ event.end_time");
    await ui.has("Add event", "Bad time", "+2h", "+1h");
    await ui.press(escape, "cancelled");
    assert.ok(!(await ui.frame(() => true)).includes("Add event"));
    ui.unmount();
  });

  test("changes made by another client appear live", async () => {
    const ui = await start();
    const calendar = calendarClient(system, "connect");
    const created = (await calendar.createEvent({ event: event("Live from elsewhere", 50) })).event!;
    await ui.has("Live from elsewhere");
    await calendar.updateEvent({ event: { id: created.id, title: "Live renamed" }, updateMask: { paths: ["title"] } });
    await ui.frame((f) => f.includes("Live renamed") && !f.includes("Live from elsewhere"));
    await calendar.deleteEvent({ id: created.id });
    await ui.frame((f) => !f.includes("Live renamed"));
    await notesClient(system, "grpc-web").createNote({ note: { title: "Live note", description: "" } });
    await ui.press(tab, "Live note");
    ui.unmount();
  });

  test("reconnects after the service restarts and replays what it missed (since_sequence), without a reload", async () => {
    const ui = await start();
    await system.restart("calendar");
    await ui.has("reconnecting");
    // Written while the UI waits to reconnect: the resumed watch replays it.
    await calendarClient(system, "grpc").createEvent({ event: event("While reconnecting", 59) });
    await ui.frame((f) => (f.match(/● live/g) ?? []).length === 2, 10_000);
    await ui.has("While reconnecting", "missed changes replayed");
    await calendarClient(system, "grpc").createEvent({ event: event("After restart", 60) });
    await ui.has("After restart");
    ui.unmount();
  });

  test("q quits and calls onExit; Ctrl-C does too, even in a form", async () => {
    let exits = 0;
    const ui = await start(() => exits++);
    ui.stdin.write("q");
    await ui.frame(() => exits === 1);
    const again = await start(() => exits++);
    await again.press("a", "Add event");
    again.stdin.write("\u0003");
    await again.frame(() => exits === 2);
  });
});
