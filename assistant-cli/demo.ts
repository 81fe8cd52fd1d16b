/**
 * `npm run demo`: the story of the system, step by step, against running
 * services (AUTH_URL, CALENDAR_URL, NOTES_URL as for the CLI, and the same
 * plain-HTTP rule: ASSISTANT_ALLOW_INSECURE_HTTP=1 to reach other hosts without
 * TLS). It exits 1 if a protection that should refuse a call lets it through, 2
 * on a bad setting.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { CliError } from "../common/cli-error.js";
import { loadClientCredentials, type ClientCredentials } from "./client-credentials.js";
import { createTransport } from "./service-clients.js";
import { resolveSettings, type AssistantSettings } from "./settings.js";
import { requestAccessToken, revokeAccessToken } from "./token-endpoint-client.js";

let settings: AssistantSettings;
try {
  settings = resolveSettings({});
} catch (err) {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
}
const say = (text: string) => process.stdout.write(`${text}\n`);
const step = (n: number, text: string) => say(`\n${n}. ${text}`);
const withToken = (token: string): Interceptor => (next) => (req) => {
  req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};
const calendarWith = (token: string) => createClient(CalendarService, createTransport(settings.protocol, settings.calendarUrl, [withToken(token)], settings.ca));
const notesWith = (token: string) => createClient(NoteService, createTransport(settings.protocol, settings.notesUrl, [withToken(token)], settings.ca));

let failures = 0;
/** Runs a call that must be refused with `code`; prints what the service said. */
async function expectRefused(what: string, code: Code, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    const e = ConnectError.from(err);
    if (e.code === code) {
      say(`   refused as expected: ${Code[e.code]}: ${e.rawMessage}`);
      return;
    }
    say(`   PROBLEM: ${what} was refused with ${Code[e.code]} (${e.rawMessage}), expected ${Code[code]}`);
    failures++;
    return;
  }
  say(`   PROBLEM: ${what} was accepted, but must be refused with ${Code[code]}`);
  failures++;
}

/** Asks for a token that must be refused with the OAuth error `error`; prints what the auth provider said. */
async function expectTokenRefused(what: string, error: string, request: () => Promise<unknown>): Promise<void> {
  try {
    await request();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.includes(`(${error}: `)) {
      say(`   refused as expected: ${message.slice(message.indexOf(`(${error}: `) + 1).replace(/\)$/, "")}`);
      return;
    }
    say(`   PROBLEM: ${what} failed otherwise than with ${error}: ${message}`);
    failures++;
    return;
  }
  say(`   PROBLEM: ${what} was granted, but must be refused with ${error}`);
  failures++;
}

/** Calls until the service refuses with a revoked-token error (or 8 s pass); prints how long it took. */
async function expectRevokedSoon(what: string, call: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await call();
    } catch (err) {
      const e = ConnectError.from(err);
      if (e.code === Code.Unauthenticated && /revoked/.test(e.rawMessage)) {
        say(`   refused as expected after ${((Date.now() - started) / 1000).toFixed(1)} s: ${Code[e.code]}: ${e.rawMessage}`);
        return;
      }
      say(`   PROBLEM: ${what} was refused with ${Code[e.code]} (${e.rawMessage}), expected a revoked-token refusal`);
      failures++;
      return;
    }
    if (Date.now() - started > 8000) {
      say(`   PROBLEM: ${what} was still accepted 8 s after the revocation`);
      failures++;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// Runs auth-admin on this machine's data directory (or DATABASE_URL), as an operator would; its JSON output.
function authAdmin(...args: string[]): Promise<Record<string, unknown>> {
  const main = fileURLToPath(new URL("../auth-provider/admin/main.js", import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [main, "--data-dir", settings.dataDir, "--output", "json", ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`auth-admin ${args.slice(0, 2).join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

// A client that may only read notes: registered for the demo (or given a new secret when an earlier run left it).
async function readOnlyClient(): Promise<ClientCredentials> {
  const id = "demo-reader";
  const result = await authAdmin("client", "add", id, "--grant", `${settings.notesAudience}:note.read`).catch(() => authAdmin("client", "rotate-secret", id));
  return { clientId: id, clientSecret: String(result["clientSecret"]) };
}

async function demo(): Promise<void> {
  const credentials = loadClientCredentials(process.env, settings.dataDir);
  say(`m2m-grpc demo: auth provider ${settings.authUrl}, calendar ${settings.calendarUrl}, notes ${settings.notesUrl} (${settings.protocol})`);

  step(1, "Get one token per service, each with only the scopes it needs");
  const calendarToken = (await requestAccessToken(settings.authUrl, credentials, settings.calendarAudience, "calendar.read calendar.write", { ca: settings.ca })).accessToken;
  const notesToken = (await requestAccessToken(settings.authUrl, credentials, settings.notesAudience, "note.read note.write", { ca: settings.ca })).accessToken;
  for (const [name, token] of [["calendar", calendarToken], ["notes", notesToken]] as const) {
    const claims = decodeJwt(token);
    say(`   ${name} token: aud=${JSON.stringify(claims.aud)} scp=${JSON.stringify(claims["scp"])} expires in ${Number(claims.exp) - Math.floor(Date.now() / 1000)} s`);
  }

  step(2, "Create an event and a note, then list them");
  const start = new Date(Date.now() + 3_600_000);
  const { event } = await calendarWith(calendarToken).createEvent({
    event: { title: "Demo: planning", startTime: timestampFromDate(start), endTime: timestampFromDate(new Date(start.getTime() + 1_800_000)) },
  });
  const { note } = await notesWith(notesToken).createNote({ note: { title: "Demo: agenda", description: "1. scopes\n2. audiences" } });
  say(`   created event ${event!.id} and note ${note!.id}, both by ${event!.createdBy}`);
  say(`   the calendar lists ${(await calendarWith(calendarToken).listEvents({ pageSize: 1000 })).events.length} event(s), the notes service ${(await notesWith(notesToken).listNotes({ pageSize: 1000 })).notes.length} note(s)`);

  step(3, "Replay the calendar token at the notes service (wrong audience)");
  await expectRefused("a calendar token at the notes service", Code.Unauthenticated, () => notesWith(calendarToken).listNotes({}));

  step(4, "Try to write with a read-only token (missing scope)");
  const readOnly = (await requestAccessToken(settings.authUrl, credentials, settings.notesAudience, "note.read", { ca: settings.ca })).accessToken;
  await expectRefused("a write with a note.read token", Code.PermissionDenied, () => notesWith(readOnly).createNote({ note: { title: "should not exist" } }));

  step(5, "Forge tokens: grant yourself a scope by editing the claims, or sign with your own key");
  const [header, , signature] = readOnly.split(".");
  const escalated = Buffer.from(JSON.stringify({ ...decodeJwt(readOnly), scp: ["note.read", "note.write"] })).toString("base64url");
  await expectRefused("a token with edited claims", Code.Unauthenticated, () => notesWith(`${header}.${escalated}.${signature}`).createNote({ note: { title: "forged" } }));
  const { privateKey } = await generateKeyPair("ES256");
  const selfSigned = await new SignJWT({ ...decodeJwt(readOnly), scp: ["note.write"] }).setProtectedHeader({ alg: "ES256", kid: "attacker", typ: "JWT" }).sign(privateKey);
  await expectRefused("a token signed with another key", Code.Unauthenticated, () => notesWith(selfSigned).createNote({ note: { title: "forged" } }));

  step(6, "Least privilege: a client granted only note-service:note.read (registered with auth-admin)");
  let reader: ClientCredentials | undefined;
  try {
    reader = await readOnlyClient();
  } catch (err) {
    say(`   skipped: ${err instanceof Error ? err.message : String(err)} (run the demo where the auth provider's data directory is)`);
  }
  if (reader !== undefined) {
    const client = reader;
    await expectTokenRefused("note.write for a read-only client", "invalid_scope", () => requestAccessToken(settings.authUrl, client, settings.notesAudience, "note.write", { ca: settings.ca }));
    await expectTokenRefused("a calendar token for a notes-only client", "invalid_target", () => requestAccessToken(settings.authUrl, client, settings.calendarAudience, "calendar.read", { ca: settings.ca }));
    const readerToken = (await requestAccessToken(settings.authUrl, client, settings.notesAudience, "note.read", { ca: settings.ca })).accessToken;
    say(`   it may read: the notes service lists ${(await notesWith(readerToken).listNotes({ pageSize: 1000 })).notes.length} note(s) for it`);
    await expectRefused("a write by the read-only client", Code.PermissionDenied, () => notesWith(readerToken).createNote({ note: { title: "should not exist" } }));

    step(7, "Remove the read-only client: every token it holds stops working at the services");
    await authAdmin("client", "remove", client.clientId);
    await expectRevokedSoon("the removed client's token", () => notesWith(readerToken).listNotes({}));
  }

  step(8, "Revoke one token (RFC 7009): every service replica refuses it within seconds");
  await revokeAccessToken(settings.authUrl, credentials, notesToken, { ca: settings.ca });
  say("   the auth provider confirmed the revocation");
  await expectRevokedSoon("the revoked notes token", () => notesWith(notesToken).listNotes({}));

  step(9, "Clean up");
  const freshNotesToken = (await requestAccessToken(settings.authUrl, credentials, settings.notesAudience, "note.write", { ca: settings.ca })).accessToken;
  await calendarWith(calendarToken).deleteEvent({ id: event!.id });
  await notesWith(freshNotesToken).deleteNote({ id: note!.id });
  say("   deleted the demo event and note");

  say(failures === 0 ? "\nEvery protection held." : `\n${failures} protection(s) did not hold.`);
}

try {
  await demo();
  process.exitCode = failures === 0 ? 0 : 1;
} catch (err) {
  const message = err instanceof CliError ? err.message : err instanceof ConnectError ? `${Code[err.code]}: ${err.rawMessage}` : String(err);
  process.stderr.write(`demo: ${message}\n`);
  process.exitCode = 1;
}
process.exit();
