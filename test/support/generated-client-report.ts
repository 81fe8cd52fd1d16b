/**
 * What the Go and Java test clients (test/go/, test/java/) print, and the one
 * check of it both tests share: the notes were listed, created and watched,
 * and each refusal came with the specified status code and a decoded
 * m2m.auth.v1.AuthError detail.
 */
import assert from "node:assert/strict";

/** A refused call as a client saw it: the status code name and the AuthError detail's fields. */
export interface ClientRefusal {
  code: string;
  reason?: string;
  requiredScopes?: string[];
  grantedScopes?: string[];
  audience?: string;
}

export interface NotesClientReport {
  listedBefore: number;
  created: { id: string; title: string; createdBy: string };
  watch: { changeType: string; noteId?: string }[];
  listedAfter: string[];
  noToken: ClientRefusal;
  garbageToken: ClientRefusal;
  calendarToken: ClientRefusal;
  readOnlyWrite: ClientRefusal;
  watchWithoutToken: ClientRefusal;
}

/** The client's environment: the notes address and the tokens it calls with. */
export async function notesClientEnv(
  notesUrl: string,
  token: (audience: string, scope: string) => Promise<string>,
): Promise<Record<string, string>> {
  return {
    NOTES_ADDR: new URL(notesUrl).host,
    NOTES_TOKEN: await token("note-service", "note.read note.write"),
    NOTES_READ_TOKEN: await token("note-service", "note.read"),
    CALENDAR_TOKEN: await token("calendar-service", "calendar.read"),
  };
}

/** Parses the client's stdout and asserts every observation; `title` is the note title the client creates. */
export function assertNotesClientReport(stdout: string, clientId: string, title: string): void {
  const report = JSON.parse(stdout) as NotesClientReport;
  assert.equal(typeof report.listedBefore, "number");
  assert.equal(report.created.title, title);
  assert.equal(report.created.createdBy, clientId);
  assert.ok(report.listedAfter.includes(report.created.id), "the created note is listed");
  assert.deepEqual(report.watch, [
    { changeType: "CHANGE_TYPE_WATCH_STARTED" },
    { changeType: "CHANGE_TYPE_CREATED", noteId: report.created.id },
  ]);

  const unauthenticated = (reason: string): ClientRefusal => ({ code: "UNAUTHENTICATED", reason, audience: "note-service" });
  assert.deepEqual(report.noToken, unauthenticated("AUTH_FAILURE_REASON_MISSING_TOKEN"));
  assert.deepEqual(report.garbageToken, unauthenticated("AUTH_FAILURE_REASON_MALFORMED_TOKEN"));
  assert.deepEqual(report.calendarToken, unauthenticated("AUTH_FAILURE_REASON_WRONG_AUDIENCE"));
  assert.deepEqual(report.watchWithoutToken, unauthenticated("AUTH_FAILURE_REASON_MISSING_TOKEN"));
  assert.deepEqual(report.readOnlyWrite, {
    code: "PERMISSION_DENIED",
    reason: "AUTH_FAILURE_REASON_INSUFFICIENT_SCOPE",
    requiredScopes: ["note.write"],
    grantedScopes: ["note.read"],
    audience: "note-service",
  });
}
