/**
 * No secret or token ever appears in a log line: a full run (the demo, CLI
 * commands, refused tokens, wrong secrets) and then every line the auth
 * provider and both services wrote is searched for the client secret, the
 * wrong secrets tried, every token issued, and anything shaped like a JWT.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cliEnv, runCli, runNode } from "./support/cli.js";
import { printSummary } from "./support/summary-table.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

test("after a full run, no log line holds a secret or a token", async () => {
  const env = cliEnv(system);
  const wrongSecret = "wrong-secret-that-must-never-be-logged-0123";
  assert.equal((await runNode("assistant-cli/demo.js", [], env)).code, 0);
  for (const args of [["calendar", "add", "logged?", "--start", "+1h"], ["note", "add", "logged?", "--description", "body"], ["calendar", "list"], ["note", "list"], ["token", "--audience", "note-service"]]) {
    assert.equal((await runCli(args, env)).code, 0, args.join(" "));
  }
  assert.equal((await runCli(["note", "list"], cliEnv(system, { ASSISTANT_CLIENT_ID: "assistant", ASSISTANT_CLIENT_SECRET: wrongSecret }))).code, 4);
  await fetch(`${system.auth.url}/auth/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: "assistant", client_secret: wrongSecret, audience: "note-service", scope: "note.read" }),
  });
  await fetch(`${system.notes.url}/m2m.notes.v1.NoteService/ListNotes`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${await system.token("calendar-service", "calendar.read")}` },
    body: "{}",
  });

  const cached = JSON.parse(readFileSync(join(env["XDG_CACHE_HOME"]!, "m2m-grpc", "tokens.json"), "utf8")) as Record<string, { accessToken: string }>;
  const tokens = [...Object.values(cached).map((t) => t.accessToken), await system.token("calendar-service", "calendar.read")];
  const logs = { "auth provider": system.auth.output, calendar: system.calendar.output, notes: system.notes.output };
  const secrets: [string, string][] = [
    ["the client secret", system.credentials.clientSecret],
    ["a wrong secret that was tried", wrongSecret],
    ...tokens.map((t, i): [string, string] => [`issued token ${i + 1}`, t]),
    ...tokens.map((t, i): [string, string] => [`signature of token ${i + 1}`, t.split(".")[2]!]),
  ];
  const rows: { case: string; expected: string; observed: string }[] = [];
  for (const [component, lines] of Object.entries(logs)) {
    for (const [what, secret] of secrets) {
      const hits = lines.filter((line) => line.includes(secret)).length;
      if (hits > 0 || what === "the client secret" || what === "a wrong secret that was tried") rows.push({ case: `${component}: ${what}`, expected: "0 lines", observed: `${hits} lines` });
      assert.equal(hits, 0, `${what} in the ${component} log`);
    }
    const jwtShaped = lines.filter((line) => /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/.test(line)).length;
    rows.push({ case: `${component}: anything shaped like a JWT`, expected: "0 lines", observed: `${jwtShaped} lines (of ${lines.length})` });
    assert.equal(jwtShaped, 0);
  }
  printSummary(`no secrets in logs (${tokens.length} tokens issued)`, rows);
});
