/**
 * Every command of `auth-admin`, registered in one place. Actions are thin:
 * read the settings, open the data directory, call a typed command function,
 * hand its result to the printer. Errors propagate to main.ts, the only place
 * that exits.
 */
import { Command, Option } from "commander";
import { loadAdminSettings, withDataDir, type AdminDataDir } from "./admin-data-dir.js";
import { createAdminPrinter, type AdminOutput, type AdminResult, type OutputFormat } from "./admin-printer.js";
import { addClient, listClients, removeClient, rotateClientSecret, setClientDisabled, type AddClientOptions } from "./client-commands.js";
import { listKeys, rotateKey, type RotateKeyOptions } from "./key-commands.js";

const help = `
Works on the embedded issuer's data directory (auth.db, issuer-keys.json), or
with DATABASE_URL on the database every replica shares, also while auth
providers run: they pick up changes within a second.
Environment (give it the auth provider's): DATA_DIR (./data), DATABASE_URL and
AUTH_KEY_ENCRYPTION_KEY_FILE (replicas on PostgreSQL),
AUTH_TOKEN_TTL_SECONDS (default: what the running provider recorded, else 3600),
AUTH_KEY_ACTIVATION_DELAY_SECONDS (15), AUTH_KEY_RETIRE_MARGIN_SECONDS (60).
Exit codes: 0 ok, 1 unexpected error, 2 usage or invalid input, 3 not found.`;

interface GlobalOptions {
  dataDir?: string;
  output: OutputFormat;
}

/** Builds the command line; env is where settings come from (process.env in main.ts). */
export function buildAdminCli(out: AdminOutput, env: Readonly<Record<string, string | undefined>>): Command {
  const program = new Command("auth-admin")
    .description("Manages the embedded issuer's OAuth clients and signing keys.")
    .option("--data-dir <dir>", "the auth provider's data directory (default: DATA_DIR, else ./data)")
    .addOption(new Option("--output <format>", "text, or json: one machine-readable document on stdout").choices(["text", "json"]).default("text"))
    .addHelpText("after", help)
    .exitOverride()
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr });

  // Opens the data directory from the global options, runs the command, prints its result.
  const run =
    <A extends unknown[]>(action: (dir: AdminDataDir, ...args: A) => Promise<AdminResult>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.optsWithGlobals<GlobalOptions>();
      const settings = loadAdminSettings(env, { dataDir: options.dataDir });
      const result = await withDataDir(settings, (dir) => action(dir, ...(args.slice(0, -1) as A)));
      createAdminPrinter(options.output, out).print(result);
    };

  const client = program.command("client").description("OAuth clients (client_credentials grant)");
  client
    .command("add <id>")
    .description("register a client; prints its new secret once (id: 1-64 of A-Z a-z 0-9 . _ -)")
    .requiredOption("--scope <scopes>", 'space-separated scopes it may request, e.g. "calendar.read note.read"')
    .requiredOption("--audience <audiences>", 'space-separated audiences it may request, e.g. "calendar-service"')
    .option("--token-ttl <seconds>", "lifetime of its tokens, 60 to 86400 (default: AUTH_TOKEN_TTL_SECONDS)")
    .action(run(async (dir, id: string, options: AddClientOptions) => ({ kind: "client-added", added: await addClient(dir, id, options) })));
  client
    .command("list")
    .description("every client: id, scopes, audiences, token lifetime, disabled, created")
    .action(run(async (dir) => ({ kind: "clients", clients: await listClients(dir) })));
  client
    .command("disable <id>")
    .description("refuse the client's token requests from now on (tokens already issued stay valid until they expire)")
    .action(run(async (dir, id: string) => ({ kind: "client-state", ...(await setClientDisabled(dir, id, true)) })));
  client
    .command("enable <id>")
    .description("accept a disabled client again")
    .action(run(async (dir, id: string) => ({ kind: "client-state", ...(await setClientDisabled(dir, id, false)) })));
  client
    .command("remove <id>")
    .description("delete a client")
    .action(run(async (dir, id: string) => ({ kind: "client-removed", ...(await removeClient(dir, id)) })));
  client
    .command("rotate-secret <id>")
    .description("issue a new secret (printed once); the old one stops working at once")
    .action(run(async (dir, id: string) => ({ kind: "client-secret", rotated: await rotateClientSecret(dir, id) })));

  const key = program.command("key").description("the issuer's ES256 signing keys");
  key
    .command("rotate")
    .description("create a new signing key: published at once, signing after the activation delay; the old key stays published until its tokens have expired")
    .option("--activation-delay <seconds>", "seconds until the new key signs (default: AUTH_KEY_ACTIVATION_DELAY_SECONDS, else 15)")
    .action(run(async (dir, options: RotateKeyOptions) => ({ kind: "key-rotated", rotation: await rotateKey(dir, options) })));
  key
    .command("list")
    .description("every key: kid, created, state (signing, next, retiring, retired), signs from, published until")
    .action(run(async (dir) => ({ kind: "keys", keys: await listKeys(dir) })));

  return program;
}
