/**
 * `npm run demo`: the story of the system, step by step, against running
 * services (AUTH_URL, CALENDAR_URL, NOTES_URL as for the CLI, and the same
 * plain-HTTP rule: ASSISTANT_ALLOW_INSECURE_HTTP=1 to reach other hosts without
 * TLS). It exits 1 if a protection that should refuse a call lets it through, 2
 * on a bad setting.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { CliError } from "../common/cli-error.js";
import { loadClientCredentials } from "./client-credentials.js";
import { createTransport } from "./service-clients.js";
import { resolveSettings, type AssistantSettings } from "./settings.js";
import { requestAccessToken } from "./token-endpoint-client.js";

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

  step(6, "Clean up");
  await calendarWith(calendarToken).deleteEvent({ id: event!.id });
  await notesWith(notesToken).deleteNote({ id: note!.id });
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
