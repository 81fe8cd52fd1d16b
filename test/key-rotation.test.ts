/**
 * Signing key rotation under load, against the real auth provider, calendar
 * and notes: while client loops keep getting new tokens and calling both
 * services, `auth-admin key rotate` runs as a subprocess. No call fails; the
 * new key is in the JWKS before it signs; tokens switch to the new kid at the
 * activation time; a token from before the rotation keeps working until it
 * expires; after the retirement time the old key is gone from the JWKS and
 * from the keys file. Prints a table of what was measured.
 *
 * Timing: tokens live 60 s (the shortest lifetime allowed), the activation
 * delay is 2 s and the retire margin 1 s, so the old key retires 63 s after
 * the rotation and the test takes about 75 s.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { runNode } from "./support/cli.js";
import { startSystem, transportFor, type TestSystem } from "./support/system.js";
import { requestToken } from "./support/tokens.js";

const activationDelaySeconds = 2;
const margin = { AUTH_KEY_RETIRE_MARGIN_SECONDS: "1" };
// The services refetch the JWKS on an unknown kid at most every 10 s (jwks-key-source.ts); the default activation
// delay (15 s) covers that on its own. With a 2 s delay the test instead makes sure their last fetch is that old.
const serviceRefetchIntervalMs = 10_000;

let system: TestSystem;
before(async () => {
  system = await startSystem({ authEnv: { AUTH_TOKEN_TTL_SECONDS: "60", ...margin } });
});
after(() => system?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

// No AUTH_TOKEN_TTL_SECONDS here: the CLI takes the lifetime the running provider recorded.
async function admin(...args: string[]): Promise<Record<string, unknown>> {
  const env = { DATA_DIR: system.dataDir, AUTH_KEY_ACTIVATION_DELAY_SECONDS: String(activationDelaySeconds), ...margin };
  const result = await runNode("auth-provider/admin/main.js", ["--output", "json", ...args], env);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

async function jwksKids(): Promise<string[]> {
  const jwks = (await (await fetch(`${system.auth.url}/auth/jwt/jwks.json`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid);
}

function lastKeyFetchMs(): number {
  const fetches = [system.calendar, system.notes].flatMap((s) => s.logs()).filter((l) => l["msg"] === "fetched the auth provider's keys");
  return Math.max(...fetches.map((l) => Date.parse(String(l["time"]))));
}

interface Sample {
  startedMs: number;
  tokenAtMs: number;
  kid: string;
  ok: boolean;
  error?: string;
}

test("rotating the signing key under load fails no call and retires the old key after its tokens expire", async () => {
  const credentials = system.credentials;
  const calendar = createClient(CalendarService, transportFor("grpc", system.calendar.url));
  const notes = createClient(NoteService, transportFor("connect", system.notes.url));
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const oldKid = ((await admin("key", "list"))["keys"] as { kid: string; current: boolean }[]).find((k) => k.current)!.kid;
  const oldToken = await requestToken(system.auth.url, credentials, "calendar-service", "calendar.read");
  assert.equal(decodeProtectedHeader(oldToken).kid, oldKid);

  // The rotation lands 1 s into the load; its activation must come ≥ 10 s after the services' last key fetch.
  await sleep(lastKeyFetchMs() + serviceRefetchIntervalMs + 500 - activationDelaySeconds * 1000 - 1000 - Date.now());
  const loadStart = Date.now();
  let stopAt = loadStart + 5000;
  const fresh: Sample[] = [];
  const old: Sample[] = [];
  const freshLoop = async (i: number) => {
    while (Date.now() < stopAt) {
      const startedMs = Date.now();
      const useCalendar = (fresh.length + i) % 2 === 0;
      const token = await requestToken(system.auth.url, credentials, useCalendar ? "calendar-service" : "note-service", useCalendar ? "calendar.read" : "note.read");
      const sample: Sample = { startedMs, tokenAtMs: Date.now(), kid: decodeProtectedHeader(token).kid!, ok: true };
      try {
        await (useCalendar ? calendar.listEvents({}, bearer(token)) : notes.listNotes({}, bearer(token)));
      } catch (err) {
        Object.assign(sample, { ok: false, error: String(err) });
      }
      fresh.push(sample);
    }
  };
  const oldLoop = async () => {
    while (Date.now() < stopAt) {
      const startedMs = Date.now();
      const sample: Sample = { startedMs, tokenAtMs: startedMs, kid: oldKid, ok: true };
      await calendar.listEvents({}, bearer(oldToken)).catch((err: unknown) => Object.assign(sample, { ok: false, error: String(err) }));
      old.push(sample);
    }
  };
  const rotation = (async () => {
    await sleep(1000);
    const rotated = await admin("key", "rotate");
    const activatesMs = Date.parse(String(rotated["activatesAt"]));
    stopAt = Math.max(stopAt, activatesMs + 1500); // a slow machine still sees 1.5 s of the new key
    await sleep(activatesMs - 400 - Date.now());
    const kidsBeforeActivation = await jwksKids();
    return { rotated, activatesMs, kidsBeforeActivation };
  })();
  const [{ rotated, activatesMs, kidsBeforeActivation }] = await Promise.all([rotation, freshLoop(0), freshLoop(1), oldLoop()]);
  const newKid = String(rotated["kid"]);
  const rotatedMs = activatesMs - activationDelaySeconds * 1000;
  const retiresMs = Date.parse((rotated["retiring"] as { retiresAt: string }[])[0]!.retiresAt);

  const phases: [string, Sample[]][] = [
    ["before rotation", fresh.filter((s) => s.startedMs < rotatedMs)],
    ["published, not signing", fresh.filter((s) => s.startedMs >= rotatedMs && s.startedMs < activatesMs)],
    ["after activation", fresh.filter((s) => s.startedMs >= activatesMs)],
    ["pre-rotation token", old],
  ];
  const short = (kid: string) => (kid === oldKid ? `old ${kid.slice(0, 8)}` : kid === newKid ? `new ${kid.slice(0, 8)}` : kid);
  console.log(`rotation at +${rotatedMs - loadStart} ms, activation at +${activatesMs - loadStart} ms, load ${stopAt - loadStart} ms`);
  console.table(
    phases.map(([phase, samples]) => ({
      phase,
      calls: samples.length,
      failures: samples.filter((s) => !s.ok).length,
      "kids seen": [...new Set(samples.map((s) => short(s.kid)))].join(", "),
    })),
  );
  const keyFetches = [system.calendar, system.notes].map((s) => s.logs().filter((l) => l["msg"] === "fetched the auth provider's keys").length);
  console.log(`JWKS fetches: calendar ${keyFetches[0]}, notes ${keyFetches[1]}`);

  const failures = [...fresh, ...old].filter((s) => !s.ok);
  assert.deepEqual(failures, [], "no call failed");
  for (const [phase, samples] of phases) assert.ok(samples.length > 0, `calls were made: ${phase}`);
  assert.ok(kidsBeforeActivation.includes(newKid) && kidsBeforeActivation.includes(oldKid), "both keys published before activation");
  assert.ok(fresh.filter((s) => s.tokenAtMs < activatesMs).every((s) => s.kid === oldKid), "no token with the new key before activation");
  assert.ok(fresh.filter((s) => s.startedMs >= activatesMs).every((s) => s.kid === newKid), "only the new key after activation");
  assert.equal(retiresMs, activatesMs + (60 + 1) * 1000, "retires when the last old-key token has expired, plus the margin");

  // The pre-rotation token still works just before it expires.
  const oldExpMs = decodeJwt(oldToken).exp! * 1000;
  await sleep(oldExpMs - 2000 - Date.now());
  await calendar.listEvents({}, bearer(oldToken));

  // After the retirement, the old key is gone from the JWKS, and (within the provider's 1 s re-read) from the file.
  await sleep(retiresMs + 1500 - Date.now());
  assert.deepEqual(await jwksKids(), [newKid]);
  const keys = (await admin("key", "list"))["keys"] as { kid: string; state: string }[];
  assert.deepEqual(keys.map((k) => [k.kid, k.state]), [[newKid, "signing"]]);
  assert.ok(system.auth.logs().some((l) => l["msg"] === "dropped retired signing keys"));
  console.log(`old key ${oldKid.slice(0, 8)} left the JWKS ${retiresMs - rotatedMs} ms after the rotation`);
});
