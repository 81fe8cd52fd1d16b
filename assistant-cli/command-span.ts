/**
 * The root span of one assistant command, named after the command line's
 * command words (`assistant note list`): the token requests and RPCs the
 * command makes are its children, so one command is one trace. Arguments and
 * options are not recorded (they hold titles, descriptions and file paths).
 */
import type { Command } from "commander";
import { CliError } from "../common/cli-error.js";
import { m2mTracer, otelApi, tracingEnabled } from "../common/tracing.js";

/** Runs action in the command's root span while tracing is on; else just runs it. */
export function inCommandSpan<T>(command: Command, action: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return action();
  return m2mTracer().startActiveSpan(commandName(command), async (span) => {
    try {
      return await action();
    } catch (err) {
      // The kind of failure (auth, unreachable, ...), not its message: messages may quote input.
      const kind = err instanceof CliError ? err.kind : "internal";
      span.setAttribute("error.type", kind);
      span.setStatus({ code: otelApi().SpanStatusCode.ERROR, message: kind });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The command words from the program down, e.g. "assistant note list". */
export function commandName(command: Command): string {
  const words: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) words.unshift(c.name());
  return words.join(" ");
}
