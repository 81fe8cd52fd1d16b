/**
 * Entry point of `npm run auth-admin -- <command>`: runs the command line and
 * is the only place that turns an outcome into an exit code (0 ok, 1
 * unexpected, 2 usage, 3 not found, 7 policy --check found a problem). Errors
 * are one line on stderr; secrets appear only in a command's own output, never
 * in an error.
 */
import { CommanderError } from "commander";
import { CliError, exitCodes } from "../../common/cli-error.js";
import { buildAdminCli } from "./admin-cli.js";

const out = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
};

async function main(): Promise<number> {
  try {
    await buildAdminCli(out, process.env).parseAsync(process.argv);
    return exitCodes.ok;
  } catch (err) {
    // commander has printed its message already; help and version are not errors.
    if (err instanceof CommanderError) return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    const error = err instanceof CliError ? err : new CliError("internal", err instanceof Error ? err.message : String(err), { cause: err });
    out.stderr(`auth-admin: ${error.message.split("\n", 1)[0]}\n`);
    return error.exitCode;
  }
}

process.exitCode = await main();
