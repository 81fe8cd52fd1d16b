/** Plain curl: the Connect protocol with JSON over HTTP/1.1, a POST write, a POST read and a GET read. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runCommand } from "./support/commands.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

const curl = (args: string[]) => runCommand("curl", ["--silent", "--show-error", "--http1.1", "--write-out", "\n%{http_code} %{http_version}", ...args]);

function parse(result: { stdout: string }): { status: string; version: string; body: Record<string, unknown> } {
  const lines = result.stdout.split("\n");
  const [status, version] = lines.pop()!.split(" ") as [string, string];
  return { status, version, body: JSON.parse(lines.join("\n")) };
}

test("curl writes and reads a note with Connect JSON over HTTP/1.1, and reads with GET", async () => {
  const token = await system.token("note-service", "note.read note.write");
  const service = `${system.notes.url}/m2m.notes.v1.NoteService`;
  const headers = ["-H", `authorization: Bearer ${token}`, "-H", "content-type: application/json"];

  const created = parse(await curl([...headers, "-d", '{"note":{"title":"from curl","description":"plain HTTP/1.1"}}', `${service}/CreateNote`]));
  assert.equal(created.status, "200");
  assert.equal(created.version, "1.1");
  const note = created.body["note"] as { id: string; title: string; createdBy: string };
  assert.equal(note.title, "from curl");

  const read = parse(await curl([...headers, "-d", JSON.stringify({ id: note.id }), `${service}/GetNote`]));
  assert.equal(read.status, "200");
  assert.equal((read.body["note"] as { description: string }).description, "plain HTTP/1.1");

  // Connect GET: side-effect-free methods can be read with a plain URL.
  const message = encodeURIComponent(JSON.stringify({ id: note.id }));
  const got = parse(await curl(["-H", `authorization: Bearer ${token}`, `${service}/GetNote?connect=v1&encoding=json&message=${message}`]));
  assert.equal(got.status, "200");
  assert.equal((got.body["note"] as { id: string }).id, note.id);

  const refused = parse(await curl(["-H", "content-type: application/json", "-d", "{}", `${service}/ListNotes`]));
  assert.equal(refused.status, "401");
  assert.equal(refused.body["code"], "unauthenticated");
});
