/**
 * The one place that writes results: text for people, JSON for scripts (one
 * document on stdout per command; one JSON object per line for watch).
 * Progress and hints go to stderr so stdout stays clean.
 */
import { toJson } from "@bufbuild/protobuf";
import { EventSchema, ChangeType as EventChangeType, WatchEventsResponseSchema, type Event, type WatchEventsResponse } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteSchema, WatchNotesResponseSchema, type Note, type WatchNotesResponse } from "../gen/m2m/notes/v1/notes_pb.js";
import type { TokenInfo } from "./commands/token-command.js";
import { formatLocalDateTime, formatLocalRange } from "./local-time.js";
import type { OutputFormat } from "./settings.js";

export type CommandResult =
  | { kind: "events"; events: Event[] }
  | { kind: "event"; event: Event }
  | { kind: "notes"; notes: Note[] }
  | { kind: "note"; note: Note }
  | { kind: "deleted"; what: "event" | "note"; id: string }
  | { kind: "token"; token: TokenInfo; raw: boolean };

export interface Output {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Printer {
  print(result: CommandResult): void;
  eventChange(change: WatchEventsResponse): void;
  noteChange(change: WatchNotesResponse): void;
  /** A hint for people (stderr, text mode only). */
  hint(text: string): void;
}

const changeNames: Record<number, string> = { 1: "watching", 2: "created", 3: "updated", 4: "deleted" };

export function createPrinter(format: OutputFormat, out: Output): Printer {
  const line = (text = "") => out.stdout(`${text}\n`);
  const json = (value: unknown) => line(JSON.stringify(value, null, 2));
  const jsonLine = (value: unknown) => line(JSON.stringify(value));

  return {
    print(result) {
      if (format === "json") return json(toJsonDocument(result));
      switch (result.kind) {
        case "events":
          if (result.events.length === 0) return line("no events");
          for (const e of result.events) line(`${e.id}  ${formatLocalRange(e.startTime, e.endTime)}  ${e.title}`);
          return;
        case "notes":
          if (result.notes.length === 0) return line("no notes");
          for (const n of result.notes) line(`${n.id}  ${n.title}${n.description ? `  — ${firstLine(n.description)}` : ""}`);
          return;
        case "event":
          return details([
            ["id", result.event.id],
            ["title", result.event.title],
            ["start", formatLocalDateTime(result.event.startTime)],
            ["end", formatLocalDateTime(result.event.endTime)],
            ["description", result.event.description],
            ["created", `${formatLocalDateTime(result.event.createTime)} by ${result.event.createdBy}`],
            ["updated", `${formatLocalDateTime(result.event.updateTime)} by ${result.event.updatedBy}`],
            ["etag", result.event.etag],
          ]);
        case "note":
          return details([
            ["id", result.note.id],
            ["title", result.note.title],
            ["description", result.note.description],
            ["created", `${formatLocalDateTime(result.note.createTime)} by ${result.note.createdBy}`],
            ["updated", `${formatLocalDateTime(result.note.updateTime)} by ${result.note.updatedBy}`],
            ["etag", result.note.etag],
          ]);
        case "deleted":
          return line(`deleted ${result.what} ${result.id}`);
        case "token": {
          const { token } = result;
          if (result.raw) return line(token.accessToken);
          line(`${token.tokenType} token for ${token.audience}, scope ${token.scope} (${token.cached ? "reused from the cache" : "new from the auth provider"}), expires ${formatLocalDateTime(token.expiresAt)}`);
          if (token.claims["cnf"] !== undefined) line(`bound to (cnf): ${JSON.stringify(token.claims["cnf"])}`);
          line(`header: ${JSON.stringify(token.header, null, 2)}`);
          return line(`claims: ${JSON.stringify(token.claims, null, 2)}`);
        }
      }
    },
    eventChange(change) {
      if (format === "json") return jsonLine(toJson(WatchEventsResponseSchema, change));
      const e = change.event;
      const what = changeNames[change.changeType] ?? EventChangeType[change.changeType];
      line(e ? `${what.padEnd(8)} ${e.id}  ${formatLocalRange(e.startTime, e.endTime)}  ${e.title}  (by ${change.changedBy})` : `${what} calendar events (Ctrl-C to stop)`);
    },
    noteChange(change) {
      if (format === "json") return jsonLine(toJson(WatchNotesResponseSchema, change));
      const n = change.note;
      const what = changeNames[change.changeType] ?? String(change.changeType);
      line(n ? `${what.padEnd(8)} ${n.id}  ${n.title}  (by ${change.changedBy})` : `${what} notes (Ctrl-C to stop)`);
    },
    hint(text) {
      if (format === "text") out.stderr(`${text}\n`);
    },
  };

  function details(rows: [string, string][]) {
    for (const [name, value] of rows) line(value.includes("\n") ? `${name}:\n${indent(value)}` : `${`${name}:`.padEnd(13)}${value}`);
  }
}

function toJsonDocument(result: CommandResult): unknown {
  switch (result.kind) {
    case "events":
      return { events: result.events.map((e) => toJson(EventSchema, e)) };
    case "event":
      return { event: toJson(EventSchema, result.event) };
    case "notes":
      return { notes: result.notes.map((n) => toJson(NoteSchema, n)) };
    case "note":
      return { note: toJson(NoteSchema, result.note) };
    case "deleted":
      return { deleted: { kind: result.what, id: result.id } };
    case "token": {
      const { token } = result;
      return { audience: token.audience, scope: token.scope, cached: token.cached, tokenType: token.tokenType, expiresAt: token.expiresAt.toISOString(), header: token.header, claims: token.claims, accessToken: token.accessToken };
    }
  }
}

const firstLine = (text: string) => text.split("\n", 1)[0]!;
const indent = (text: string) => text.split("\n").map((l) => `  ${l}`).join("\n");
