/**
 * The assistant's entry point: runs the command line and is the only place
 * that turns an outcome into an exit code. Errors are one line on stderr
 * (with the cause under --verbose), never a stack trace otherwise.
 */
import { CommanderError } from "commander";
import { CliError, exitCodes } from "../common/cli-error.js";
import { ConfigError } from "../common/env.js";
import { shutdownTracing, startTracing } from "../common/tracing.js";
import { buildCli } from "./cli.js";

const out = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
};
const verbose = process.argv.includes("--verbose") || Boolean(process.env["ASSISTANT_VERBOSE"]);

async function main(): Promise<number> {
  try {
    await startTracing("assistant");
    await buildCli(out).parseAsync(process.argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message; help and version are not errors.
      return err.exitCode === 0 ? 0 : exitCodes.usage;
    }
    const error =
      err instanceof CliError
        ? err
        : err instanceof ConfigError
          ? new CliError("usage", err.message)
          : new CliError("internal", err instanceof Error ? err.message : String(err), { cause: err });
    out.stderr(`assistant: ${error.message}\n`);
    if (verbose) out.stderr(`${describeCause(error)}\n`);
    return error.exitCode;
  }
}

function describeCause(err: Error): string {
  const parts: string[] = [];
  for (let cause: unknown = err.cause ?? err; cause instanceof Error && parts.length < 5; cause = cause.cause) {
    parts.push(cause.stack ?? cause.message);
  }
  return parts.map((part) => `caused by: ${part}`).join("\n");
}

// Exit explicitly: open HTTP/2 sessions to the services would otherwise keep the process alive.
process.exitCode = await main();
// The command's spans are still queued: export them before exiting, but wait a second at most (the exporter retries
// an unreachable collector for longer, and a command should not hang on its traces).
await shutdownTracing(1000);
process.exit();
