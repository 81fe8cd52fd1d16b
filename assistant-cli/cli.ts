/**
 * Every command of the assistant, registered in one place. Actions are thin:
 * resolve settings, call a typed command function, hand its result to the
 * printer. Errors propagate to main.ts, the only place that exits.
 */
import type { ConnectError } from "@connectrpc/connect";
import { Command, InvalidArgumentError, Option } from "commander";
import { CliError } from "../common/cli-error.js";
import { inCommandSpan } from "./command-span.js";
import { addEvent, deleteEvent, getEvent, listEvents, updateEvent } from "./commands/calendar-commands.js";
import { addNote, deleteNote, getNote, listNotes, updateNote } from "./commands/note-commands.js";
import { watchEvents, watchNotes } from "./commands/watch-commands.js";
import { createPrinter, type Output, type Printer } from "./printer.js";
import { createAssistantSession, type AssistantSession } from "./session.js";
import { resolveSettings, type GlobalOptions } from "./settings.js";

const exitCodeHelp = `
Exit codes: 0 ok, 1 unexpected error, 2 usage or invalid input, 3 not found,
4 authentication or permission refused, 5 auth provider or service unreachable,
6 changed since it was read (--if-match).`;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError("must be a whole number of at least 1");
  return n;
}

/** Runs until SIGINT/SIGTERM aborts the signal (watch commands). */
function untilInterrupted(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return controller.signal;
}

/** Tells people (stderr) that a watch broke and when it resumes. */
function interrupted(printer: Printer): (err: ConnectError, retryInMs: number) => void {
  return (err, retryInMs) => printer.hint(`watch interrupted (${err.rawMessage}); resuming in ${(retryInMs / 1000).toFixed(1)} s`);
}

export function buildCli(out: Output): Command {
  const program = new Command("assistant")
    .description("Calls the calendar and notes services with OAuth2 client-credentials tokens.")
    .addOption(new Option("--auth-url <url>", "auth provider (default http://localhost:3001)").env("AUTH_URL"))
    .addOption(new Option("--calendar-url <url>", "calendar service (default http://localhost:3011)").env("CALENDAR_URL"))
    .addOption(new Option("--notes-url <url>", "notes service (default http://localhost:3012)").env("NOTES_URL"))
    .addOption(new Option("--ca-file <path>", "PEM file of the CA that signed the servers' TLS certificates (default URLs become https://)").env("ASSISTANT_CA_FILE"))
    // These three are read with their variables in resolveSettings, so that a message names where a value came from.
    .addOption(new Option("--client-cert <path>", "PEM client certificate presented to the auth provider and the services (mutual TLS); with ASSISTANT_CLIENT_ID alone it is the credential (tls_client_auth) (env: ASSISTANT_CLIENT_CERT_FILE)"))
    .addOption(new Option("--client-key <path>", "PEM private key of --client-cert (env: ASSISTANT_CLIENT_KEY_FILE)"))
    .addOption(new Option("--no-dpop", "Bearer tokens only, even when the auth provider offers DPoP-bound tokens (env: ASSISTANT_DPOP=0)"))
    // Read with its variable in resolveSettings (commander would take any value of the variable, even 0, as true).
    .addOption(new Option("--allow-insecure-http", "allow http:// URLs to hosts other than this machine: the client secret and tokens then cross the network unencrypted (env: ASSISTANT_ALLOW_INSECURE_HTTP=1)"))
    .addOption(new Option("--protocol <protocol>", "grpc, connect or grpc-web").default("grpc").env("ASSISTANT_PROTOCOL"))
    .addOption(new Option("--output <format>", "text, or json: one machine-readable document on stdout").default("text").env("ASSISTANT_OUTPUT"))
    .addOption(new Option("--verbose", "show the cause of errors").env("ASSISTANT_VERBOSE"))
    .addHelpText("after", exitCodeHelp)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr });

  // Builds the session and printer from the global options, then runs the command.
  const run =
    <A extends unknown[]>(action: (session: AssistantSession, printer: Printer, ...args: A) => Promise<void>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const settings = resolveSettings(command.optsWithGlobals<GlobalOptions>());
      const session = createAssistantSession(settings);
      // One trace per command (while tracing is on): its token requests and RPCs are children of this span.
      await inCommandSpan(command, () => action(session, createPrinter(settings.output, out), ...(args.slice(0, -1) as A)));
    };

  const calendar = program.command("calendar").description("events in the calendar service");
  calendar
    .command("list")
    .description("list events by start time (all pages unless --limit)")
    .option("--limit <n>", "at most n events", positiveInt)
    .option("--from <time>", "only events that end after this time")
    .option("--to <time>", "only events that start before this time")
    .action(run(async (s, p, options: { limit?: number; from?: string; to?: string }) => p.print({ kind: "events", events: await listEvents(s, options) })));
  calendar
    .command("get <id>")
    .description("show one event")
    .action(run(async (s, p, id: string) => p.print({ kind: "event", event: await getEvent(s, id) })));
  calendar
    .command("add <title>")
    .description("add an event; times are ISO 8601 (2030-01-31T09:00) or relative (+1h, +2d)")
    .requiredOption("--start <time>", "when it starts")
    .option("--end <time>", "when it ends (default: one hour after the start)")
    .option("--duration <duration>", "how long it lasts, instead of --end (30m, 1h, 2d)")
    .option("--description <text>", "what it is about")
    .action(run(async (s, p, title: string, options: { start: string; end?: string; duration?: string; description?: string }) => p.print({ kind: "event", event: await addEvent(s, title, options) })));
  calendar
    .command("update <id>")
    .description("change only the fields given")
    .option("--title <title>")
    .option("--description <text>")
    .option("--start <time>")
    .option("--end <time>")
    .option("--if-match <etag>", "only if the event still has this etag (from get or list); else exit 6")
    .action(run(async (s, p, id: string, options: { title?: string; description?: string; start?: string; end?: string; ifMatch?: string }) => p.print({ kind: "event", event: await updateEvent(s, id, options) })));
  calendar
    .command("delete <id>")
    .description("delete an event")
    .option("--if-match <etag>", "only if the event still has this etag; else exit 6")
    .action(run(async (s, p, id: string, options: { ifMatch?: string }) => p.print({ kind: "deleted", what: "event", ...(await deleteEvent(s, id, options)) })));
  calendar
    .command("watch")
    .description("print changes to events as they happen, until Ctrl-C")
    .action(run(async (s, p) => watchEvents(s, untilInterrupted(), (change) => p.eventChange(change), interrupted(p))));

  const note = program.command("note").description("notes in the notes service");
  note
    .command("list")
    .description("list notes, oldest first (all pages unless --limit)")
    .option("--limit <n>", "at most n notes", positiveInt)
    .action(run(async (s, p, options: { limit?: number }) => p.print({ kind: "notes", notes: await listNotes(s, options) })));
  note
    .command("get <id>")
    .description("show one note")
    .action(run(async (s, p, id: string) => p.print({ kind: "note", note: await getNote(s, id) })));
  note
    .command("add <title>")
    .description("add a note")
    .option("--description <text>", "the body")
    .action(run(async (s, p, title: string, options: { description?: string }) => p.print({ kind: "note", note: await addNote(s, title, options) })));
  note
    .command("update <id>")
    .description("change only the fields given")
    .option("--title <title>")
    .option("--description <text>")
    .option("--if-match <etag>", "only if the note still has this etag (from get or list); else exit 6")
    .action(run(async (s, p, id: string, options: { title?: string; description?: string; ifMatch?: string }) => p.print({ kind: "note", note: await updateNote(s, id, options) })));
  note
    .command("delete <id>")
    .description("delete a note")
    .option("--if-match <etag>", "only if the note still has this etag; else exit 6")
    .action(run(async (s, p, id: string, options: { ifMatch?: string }) => p.print({ kind: "deleted", what: "note", ...(await deleteNote(s, id, options)) })));
  note
    .command("watch")
    .description("print changes to notes as they happen, until Ctrl-C")
    .action(run(async (s, p) => watchNotes(s, untilInterrupted(), (change) => p.noteChange(change), interrupted(p))));

  program
    .command("token")
    .description("get (or reuse) a token and show its decoded header and claims")
    .requiredOption("--audience <audience>", "the service the token is for (calendar-service, note-service)")
    .option("--scope <scopes>", "space-separated scopes (default: the audience's read scope)")
    .option("--raw", "print only the token itself")
    .action(
      run(async (s, p, options: { audience: string; scope?: string; raw?: boolean }) => {
        // Loaded on demand, like the terminal UI: other commands start faster without jose.
        const { defaultScopeFor, showToken } = await import("./commands/token-command.js");
        const scope = options.scope ?? defaultScopeFor(s, options.audience);
        if (scope === undefined) throw new CliError("usage", `give --scope: there is no default scope for the audience "${options.audience}"`);
        p.print({ kind: "token", token: await showToken(s, options.audience, scope), raw: options.raw ?? false });
      }),
    );

  program
    .command("start")
    .description("the interactive terminal UI: events and notes, live")
    .action(
      run(async (s) => {
        const { runTerminalUi } = await import("./ui/run-terminal-ui.js");
        await runTerminalUi(s);
      }),
    );

  return program;
}
