/**
 * The assistant CLI as a user runs it: the real binary as a subprocess against
 * the real services. Every command in text and JSON, exit codes, error
 * messages, and token reuse counted at the auth provider.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cliEnv, cliEntry, runCli } from "./support/cli.js";
import { distPath } from "./support/processes.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
let env: Record<string, string | undefined>;
before(async () => {
  system = await startSystem();
  env = cliEnv(system);
});
after(() => system?.stop());

const tokenRequests = () => system.auth.logs().filter((l) => l["msg"] === "request" && l["path"] === "/auth/oauth/token").length;

async function ok(args: string[], extraEnv: Record<string, string | undefined> = {}) {
  const result = await runCli(args, { ...env, ...extraEnv });
  assert.equal(result.code, 0, `assistant ${args.join(" ")} failed: ${result.stderr}`);
  assert.equal(result.stderr, "");
  return result.stdout;
}

async function fails(args: string[], code: number, message: RegExp, extraEnv: Record<string, string | undefined> = {}) {
  const result = await runCli(args, { ...env, ...extraEnv });
  assert.equal(result.code, code, `exit code of assistant ${args.join(" ")}: ${result.stderr}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace without --verbose");
  assert.equal(result.stdout, "", "nothing on stdout when a command fails");
}

describe("calendar commands", () => {
  test("add, list, get, update, delete in text", async () => {
    const added = await ok(["calendar", "add", "Team sync", "--start", "2030-01-01T09:00Z", "--duration", "30m", "--description", "weekly"]);
    const id = /^id:\s+(\S+)$/m.exec(added)?.[1];
    assert.ok(id, added);
    assert.match(added, /^start:\s+Tue 2030-01-01 09:00$/m);
    assert.match(added, /^end:\s+Tue 2030-01-01 09:30$/m);
    assert.match(await ok(["calendar", "list"]), new RegExp(`^${id}  Tue 2030-01-01 09:00–09:30  Team sync$`, "m"));
    assert.match(await ok(["calendar", "get", id]), /^description: weekly$/m);
    const updated = await ok(["calendar", "update", id, "--title", "Team sync (moved)", "--start", "2030-01-01T10:00Z", "--end", "2030-01-01T10:30Z"]);
    assert.match(updated, /^title:\s+Team sync \(moved\)$/m);
    assert.match(updated, /^description: weekly$/m, "fields not given stay as they were");
    assert.equal(await ok(["calendar", "delete", id]), `deleted event ${id}\n`);
    await fails(["calendar", "get", id], 3, new RegExp(`^assistant: event "${id}" not found\n$`));
  });

  test("JSON output is one document on stdout", async () => {
    const { event } = JSON.parse(await ok(["--output", "json", "calendar", "add", "JSON event", "--start", "2030-02-01T09:00Z"]));
    assert.equal(event.title, "JSON event");
    assert.equal(event.endTime, "2030-02-01T10:00:00Z", "one hour by default");
    const { events } = JSON.parse(await ok(["--output", "json", "calendar", "list", "--from", "2030-02-01", "--to", "2030-02-02"]));
    assert.deepEqual(events.map((e: { id: string }) => e.id), [event.id]);
    assert.equal(JSON.parse(await ok(["--output", "json", "calendar", "get", event.id])).event.id, event.id);
    assert.equal(JSON.parse(await ok(["--output", "json", "calendar", "update", event.id, "--description", "d"])).event.description, "d");
    assert.deepEqual(JSON.parse(await ok(["--output", "json", "calendar", "delete", event.id])), { deleted: { kind: "event", id: event.id } });
  });

  test("list pages through everything, or stops at --limit", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(JSON.parse(await ok(["--output", "json", "calendar", "add", `paged ${i}`, "--start", `2031-01-0${i + 1}T09:00Z`])).event.id);
    const limited = JSON.parse(await ok(["--output", "json", "calendar", "list", "--from", "2031-01-01", "--limit", "2"]));
    assert.equal(limited.events.length, 2);
    for (const id of ids) await ok(["calendar", "delete", id]);
  });

  test("times are shown in local time", async () => {
    const added = await ok(["calendar", "add", "Tokyo", "--start", "2030-01-01T00:00Z"], { TZ: "Asia/Tokyo" });
    assert.match(added, /^start:\s+Tue 2030-01-01 09:00$/m);
    await ok(["calendar", "delete", /^id:\s+(\S+)$/m.exec(added)![1]!]);
  });

  test("every protocol works, chosen by option or environment", async () => {
    for (const protocol of ["grpc", "connect", "grpc-web"]) await ok(["--protocol", protocol, "calendar", "list", "--limit", "1"]);
    JSON.parse(await ok(["calendar", "list", "--limit", "1"], { ASSISTANT_PROTOCOL: "grpc-web", ASSISTANT_OUTPUT: "json" }));
  });
});

describe("note commands", () => {
  test("add, list, get, update, delete in text and JSON", async () => {
    const { note } = JSON.parse(await ok(["--output", "json", "note", "add", "Groceries", "--description", "milk\neggs"]));
    assert.match(await ok(["note", "list"]), new RegExp(`^${note.id}  Groceries  — milk$`, "m"));
    assert.match(await ok(["note", "get", note.id]), /^description:\n  milk\n  eggs$/m);
    assert.match(await ok(["note", "update", note.id, "--title", "Shopping"]), /^title:\s+Shopping$/m);
    assert.equal(JSON.parse(await ok(["--output", "json", "note", "list"])).notes.find((n: { id: string }) => n.id === note.id).description, "milk\neggs");
    assert.equal(await ok(["note", "delete", note.id]), `deleted note ${note.id}\n`);
  });

  test("--if-match: update and delete only what is unchanged since it was read; else exit 6", async () => {
    const { note } = JSON.parse(await ok(["--output", "json", "note", "add", "Draft"]));
    assert.match(await ok(["note", "get", note.id]), new RegExp(`^etag:\\s+${note.etag.replace(/"/g, '\\"')}$`, "m"));
    const { note: edited } = JSON.parse(await ok(["--output", "json", "note", "update", note.id, "--title", "Draft 2", "--if-match", note.etag]));
    assert.notEqual(edited.etag, note.etag, "every write changes the etag");
    await fails(["note", "update", note.id, "--title", "Draft 3", "--if-match", note.etag], 6, /^assistant: .*changed since it was read.* — get it again and retry with its new etag\n$/);
    await fails(["note", "delete", note.id, "--if-match", note.etag], 6, /changed since it was read/);
    assert.match(await ok(["note", "get", note.id]), /^title:\s+Draft 2$/m, "the stale writes changed nothing");
    assert.equal(await ok(["note", "delete", note.id, "--if-match", edited.etag]), `deleted note ${note.id}\n`);
  });
});

test("watch prints changes as JSON lines until interrupted, then exits 0", async () => {
  const child = spawn(process.execPath, [distPath(cliEntry), "--output", "json", "calendar", "watch"], { env: { PATH: process.env["PATH"], ...env } });
  const lines: string[] = [];
  let buffered = "";
  const seen = (predicate: (l: Record<string, unknown>) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not seen; lines: ${lines.join("\n")}`)), 10_000);
      const check = () => {
        if (lines.some((l) => predicate(JSON.parse(l)))) {
          clearTimeout(timer);
          child.stdout.off("data", check);
          resolve();
        }
      };
      child.stdout.on("data", check);
      check();
    });
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    buffered += d;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  await seen((l) => l["changeType"] === "CHANGE_TYPE_WATCH_STARTED");
  const { event } = JSON.parse(await ok(["--output", "json", "calendar", "add", "watched", "--start", "+1h"]));
  await seen((l) => l["changeType"] === "CHANGE_TYPE_CREATED" && (l["event"] as { id: string }).id === event.id);
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  assert.equal(await exited, 0);
  await ok(["calendar", "delete", event.id]);
});

describe("tokens", () => {
  test("token shows the decoded claims of the narrowest token", async () => {
    const info = JSON.parse(await ok(["--output", "json", "token", "--audience", "note-service"]));
    assert.deepEqual(info.claims.aud, ["note-service"]);
    assert.deepEqual(info.claims.scp, ["note.read"]);
    assert.equal(info.header.typ, "JWT");
    assert.match(await ok(["token", "--audience", "calendar-service", "--scope", "calendar.write"]), /"scp": \[\n\s+"calendar.write"\n\s+\]/);
  });

  test("a second command reuses the cached token: no request to the auth provider", async () => {
    const fresh = cliEnv(system);
    await ok(["note", "list"], fresh);
    const before = tokenRequests();
    await ok(["note", "list"], fresh);
    await ok(["note", "list", "--limit", "1"], fresh);
    assert.equal(tokenRequests(), before);
    assert.equal(JSON.parse(await ok(["--output", "json", "token", "--audience", "note-service"], fresh)).cached, true);
  });

  test("reads never hold a write scope; a write gets its own token", async () => {
    const fresh = cliEnv(system);
    const before = tokenRequests();
    await ok(["calendar", "list"], fresh);
    const { event } = JSON.parse(await ok(["--output", "json", "calendar", "add", "scoped", "--start", "+1h"], fresh));
    assert.equal(tokenRequests() - before, 2, "one token for calendar.read, another for calendar.write");
    await ok(["calendar", "delete", event.id], fresh);
  });

  test("a cached token the service refuses is dropped, and the call retried once with a fresh one", async () => {
    // Bearer tokens, whose cache key this test writes (assistant-dpop.test.ts does the same with a DPoP token).
    const fresh = cliEnv(system, { ASSISTANT_DPOP: "0" });
    await ok(["note", "list"], fresh);
    const cacheFile = join(fresh["XDG_CACHE_HOME"]!, "m2m-grpc", "tokens.json");
    const key = JSON.stringify([system.auth.url, "assistant", "note-service", "note.read"]);
    mkdirSync(join(fresh["XDG_CACHE_HOME"]!, "m2m-grpc"), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify({ [key]: { accessToken: "eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln", expiresAt: Date.now() + 3_600_000, scope: "note.read" } }));
    const before = tokenRequests();
    await ok(["note", "list"], fresh);
    await ok(["--protocol", "connect", "note", "list"], fresh);
    assert.equal(tokenRequests() - before, 1);
  });
});

describe("errors: one line, a distinct exit code", () => {
  test("the auth provider is down", () =>
    fails(["note", "list"], 5, /^assistant: cannot reach the auth provider at http:\/\/127\.0\.0\.1:9 — is `npm start` running\?\n$/, cliEnv(system, { AUTH_URL: "http://127.0.0.1:9" })));

  test("a service is down", async () => {
    await ok(["calendar", "list"]); // a cached token, so only the service is missing
    await fails(["calendar", "list"], 5, /^assistant: cannot reach the calendar service at http:\/\/127\.0\.0\.1:9 — is `npm start` running\?\n$/, {
      CALENDAR_URL: "http://127.0.0.1:9",
    });
  });

  test("an unknown id", () => fails(["note", "get", "no-such-note"], 3, /^assistant: note "no-such-note" not found\n$/));

  test("a bad time", () => fails(["calendar", "add", "x", "--start", "next week"], 2, /--start "next week" is not a time: use ISO 8601/));

  test("invalid input rejected by the service", () => fails(["note", "add", "   "], 2, /^assistant: note\.title: is required and must not be blank\n$/));

  test("missing credentials", async () => {
    const empty = cliEnv(system, { DATA_DIR: join(env["XDG_CACHE_HOME"]!, "nothing-here") });
    await fails(["note", "list"], 4, /no client credentials: .*clients\.json does not exist — start the auth provider once \(npm start\), or set ASSISTANT_CLIENT_ID/, empty);
  });

  test("wrong credentials", () =>
    fails(
      ["note", "list"],
      4,
      /the auth provider rejected the assistant's credentials \(invalid_client/,
      cliEnv(system, { ASSISTANT_CLIENT_ID: "assistant", ASSISTANT_CLIENT_SECRET: "not-the-secret-but-long-enough" }),
    ));

  test("usage errors", async () => {
    await fails(["calendar", "frobnicate"], 2, /unknown command 'frobnicate'/);
    await fails(["calendar", "add", "no start"], 2, /required option '--start <time>' not specified/);
    await fails(["note", "update", "some-id"], 2, /nothing to update: give --title or --description/);
    await fails(["--protocol", "smoke-signals", "note", "list"], 2, /--protocol must be grpc, connect or grpc-web/);
    await fails(["note", "list", "--limit", "0"], 2, /must be a whole number of at least 1/);
  });

  test("--verbose adds the cause", async () => {
    const result = await runCli(["--verbose", "note", "list"], cliEnv(system, { AUTH_URL: "http://127.0.0.1:9" }));
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /caused by: .*(fetch failed|ECONNREFUSED)/s);
  });

  test("--help lists the commands and the exit codes", async () => {
    const help = await ok(["--help"]);
    assert.match(help, /calendar\s+events in the calendar service/);
    assert.match(help, /Exit codes: 0 ok, 1 unexpected error, 2 usage or invalid input, 3 not found,/);
  });
});
