/**
 * kill -9 the notes service while several clients create and update notes:
 * after a restart every acknowledged write is there, whole, and nothing is
 * half-written.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { notesClient, startSystem, type TestSystem } from "./support/system.js";
import { printSummary } from "./support/summary-table.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

// Each note's description is derived from its title, so a torn write would show.
const bodyFor = (title: string, version: number) => `${title} v${version} ${"·".repeat(500)}`;

test("every acknowledged create and update survives SIGKILL", async () => {
  const client = notesClient(system, "grpc");
  const acknowledged = new Map<string, { title: string; version: number }>();
  let stopped = false;
  let killed = false;
  let refusedAfterKill = 0;

  const writer = async (w: number) => {
    for (let i = 0; !stopped; i++) {
      const title = `crash-${w}-${i}`;
      try {
        const { note } = await client.createNote({ note: { title, description: bodyFor(title, 1) } }, { timeoutMs: 2000 });
        acknowledged.set(note!.id, { title, version: 1 });
        await client.updateNote({ note: { id: note!.id, description: bodyFor(title, 2) }, updateMask: { paths: ["description"] } }, { timeoutMs: 2000 });
        acknowledged.set(note!.id, { title, version: 2 });
      } catch (err) {
        if (!killed) throw err; // before the kill every write must succeed
        refusedAfterKill++;
        return; // the service is gone: this writer stops
      }
    }
  };
  const writers = [0, 1, 2, 3].map(writer);
  while (acknowledged.size < 40) await new Promise((r) => setTimeout(r, 10));
  killed = true;
  system.notes.child.kill("SIGKILL");
  await system.notes.exited;
  stopped = true;
  await Promise.all(writers);

  await system.restart("notes");
  const fresh = notesClient(system, "grpc");
  const stored = new Map<string, { title: string; description: string }>();
  let pageToken = "";
  do {
    const page = await fresh.listNotes({ pageSize: 1000, pageToken });
    for (const n of page.notes) stored.set(n.id, { title: n.title, description: n.description });
    pageToken = page.nextPageToken;
  } while (pageToken !== "");

  let missing = 0;
  let stale = 0;
  for (const [id, { title, version }] of acknowledged) {
    const note = stored.get(id);
    if (!note || note.title !== title) missing++;
    else if (note.description !== bodyFor(title, version) && note.description !== bodyFor(title, version + 1)) stale++;
  }
  const torn = [...stored.values()].filter((n) => n.title.startsWith("crash-") && n.description !== bodyFor(n.title, 1) && n.description !== bodyFor(n.title, 2)).length;
  printSummary("crash durability (SIGKILL during concurrent writes)", [
    { case: "acknowledged writes before the kill", expected: "> 0", observed: String(acknowledged.size) },
    { case: "acknowledged notes missing after restart", expected: "0", observed: String(missing) },
    { case: "acknowledged updates lost", expected: "0", observed: String(stale) },
    { case: "half-written notes", expected: "0", observed: String(torn) },
    { case: "writers cut off by the kill", expected: "4", observed: String(refusedAfterKill) },
  ]);
  assert.equal(missing, 0);
  assert.equal(stale, 0);
  assert.equal(torn, 0);
});
