/**
 * Every command of `auth-admin`, registered in one place. Actions are thin:
 * read the settings, open the data directory, call a typed command function,
 * hand its result to the printer. Errors propagate to main.ts, the only place
 * that exits.
 */
import { Command, Option } from "commander";
import type { CliError } from "../../common/cli-error.js";
import { loadAdminSettings, withDataDir, type AdminDataDir } from "./admin-data-dir.js";
import { createAdminPrinter, type AdminOutput, type AdminResult, type OutputFormat } from "./admin-printer.js";
import { addClient, listClients, removeClient, setClientDisabled, updateClient, type AddClientOptions, type UpdateClientOptions } from "./client-commands.js";
import { revokeClientSecret, rotateClientSecret, type RotateSecretOptions } from "./client-secret-commands.js";
import { listKeys, rotateKey, type RotateKeyOptions } from "./key-commands.js";
import { accessPolicy, policyCheckFailure } from "./policy-command.js";
import { adminAuditEvents, openAdminAuditLog } from "./admin-audit.js";

const help = `
Works on the embedded issuer's data directory (auth.db, issuer-keys.json), or
with DATABASE_URL on the database every replica shares, also while auth
providers run: they pick up changes within a second.
Environment (give it the auth provider's): DATA_DIR (./data), DATABASE_URL and
AUTH_KEY_ENCRYPTION_KEY_FILE (replicas on PostgreSQL),
AUTH_TOKEN_TTL_SECONDS (default: what the running provider recorded, else 3600),
AUTH_KEY_ACTIVATION_DELAY_SECONDS (15), AUTH_KEY_RETIRE_MARGIN_SECONDS (60),
AUTH_AUDIT_LOG: where each change is recorded, one JSON line per event (default
DATA_DIR/audit.jsonl, the auth provider's trail; "-" for stderr; "off").
Grants are checked against the scopes each audience defines: the services'
proto access options under CALENDAR_AUDIENCE (calendar-service) and
NOTES_AUDIENCE (note-service), plus AUTH_EXTRA_AUDIENCES for other services,
e.g. AUTH_EXTRA_AUDIENCES="billing-service=billing.read billing.write;reports=reports.read".
Exit codes: 0 ok, 1 unexpected error, 2 usage or invalid input, 3 not found,
7 policy --check found a problem.`;

interface GlobalOptions {
  dataDir?: string;
  output: OutputFormat;
}

// Commands that change nothing, and so write no audit trail.
const readOnlyCommands = new Set(["list", "policy"]);

// Commander's way to collect a repeatable option; absent stays undefined.
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Builds the command line; env is where settings come from (process.env in main.ts). */
export function buildAdminCli(out: AdminOutput, env: Readonly<Record<string, string | undefined>>): Command {
  const program = new Command("auth-admin")
    .description("Manages the embedded issuer's OAuth clients and signing keys, and reports who may call which RPC.")
    .option("--data-dir <dir>", "the auth provider's data directory (default: DATA_DIR, else ./data)")
    .addOption(new Option("--output <format>", "text, or json: one machine-readable document on stdout").choices(["text", "json"]).default("text"))
    .addHelpText("after", help)
    .exitOverride()
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr });

  // Opens the data directory from the global options, runs the command, records what it changed in the audit trail,
  // prints its result; then throws what failWith returns for it (a check that printed its findings and must still
  // exit non-zero). The trail is opened first, so an unwritable one stops a command before it changes anything.
  const run =
    <A extends unknown[]>(action: (dir: AdminDataDir, ...args: A) => Promise<AdminResult>, failWith?: (result: AdminResult) => CliError | undefined) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.optsWithGlobals<GlobalOptions>();
      const settings = loadAdminSettings(env, { dataDir: options.dataDir });
      const audit = readOnlyCommands.has(command.name()) ? undefined : openAdminAuditLog(env, settings.dataDir);
      let result: AdminResult;
      try {
        result = await withDataDir(settings, (dir) => action(dir, ...(args.slice(0, -1) as A)));
        for (const event of adminAuditEvents(result)) audit?.write(event);
      } finally {
        await audit?.close();
      }
      createAdminPrinter(options.output, out).print(result);
      const failure = failWith?.(result);
      if (failure !== undefined) throw failure;
    };

  const client = program.command("client").description("OAuth clients (client_credentials grant)");
  client
    .command("add <id>")
    .description("register a client (id: 1-64 of A-Z a-z 0-9 . _ -); prints its new secret once, unless it gets a key (--key-out, --jwk) or a certificate subject (--tls-subject)")
    .option("--grant <audience:scopes>", "an audience and the scopes it may request there, e.g. note-service:note.read or note-service:note.read,note.write; repeat for more (at least one)", collect)
    .option("--token-ttl <seconds>", "lifetime of its tokens, 60 to 86400 (default: AUTH_TOKEN_TTL_SECONDS)")
    .option("--max-tokens-per-minute <n>", "token requests granted per minute across replicas, 1 to 1000000; beyond: 429 slow_down (default: no budget)")
    .option("--key-out <file>", "authenticate with private_key_jwt: create an ES256 key pair, register the public key, write the private key to file (PKCS#8 PEM, mode 0600; never overwrites); no secret is issued")
    .option("--jwk <file>", "authenticate with private_key_jwt: register the public JWK in file; no secret is issued")
    .option("--tls-subject <dn>", 'authenticate with a client certificate (tls_client_auth, needs AUTH_CLIENT_CA_FILE): the subject DN it must carry, in the certificate\'s order, e.g. "CN=reporting,O=Example"; no secret is issued')
    .option("--require-dpop", "refuse its token requests without a DPoP proof, so every token it gets is bound to its key")
    // The lists grants replaced, kept hidden so that old scripts get a message that points to --grant.
    .addOption(new Option("--scope <scopes>").hideHelp())
    .addOption(new Option("--audience <audiences>").hideHelp())
    .action(run(async (dir, id: string, options: AddClientOptions) => ({ kind: "client-added", added: await addClient(dir, id, options) })));
  client
    .command("update <id>")
    .description("change a client's grants, token lifetime, budget, public key, certificate subject or DPoP requirement (at least one change)")
    .option("--grant <audience:scopes>", "replace every grant with these (repeatable)", collect)
    .option("--add-grant <audience:scopes>", "add scopes for an audience (repeatable)", collect)
    .option("--remove-grant <audience:scopes>", "remove scopes for an audience (repeatable); the last grant cannot go", collect)
    .option("--token-ttl <seconds|default>", 'lifetime of its tokens, 60 to 86400, or "default" for AUTH_TOKEN_TTL_SECONDS')
    .option("--max-tokens-per-minute <n|none>", 'token requests granted per minute, 1 to 1000000, or "none" for no budget')
    .option("--key-out <file>", "replace its public key with a new ES256 key pair; the private key goes to file (mode 0600; never overwrites)")
    .option("--jwk <file>", "replace its public key with the public JWK in file")
    .option("--tls-subject <dn|none>", 'the subject DN its client certificate must carry (tls_client_auth), e.g. "CN=reporting,O=Example", or "none" to stop certificate authentication')
    .option("--require-dpop", "refuse its token requests without a DPoP proof from now on")
    .option("--no-require-dpop", "accept its token requests without a DPoP proof again")
    .action(run(async (dir, id: string, options: UpdateClientOptions) => ({ kind: "client-updated", updated: await updateClient(dir, id, options) })));
  client
    .command("list")
    .description("every client: id, grants, auth methods, DPoP required, certificate subject, token lifetime, budget, end of a secret rotation overlap, disabled, created")
    .action(run(async (dir) => ({ kind: "clients", clients: await listClients(dir) })));
  client
    .command("disable <id>")
    .description("refuse the client's token requests from now on and revoke every token it holds (every service refuses them within seconds)")
    .action(run(async (dir, id: string) => ({ kind: "client-state", ...(await setClientDisabled(dir, id, true)) })));
  client
    .command("enable <id>")
    .description("accept a disabled client again (tokens revoked by disabling stay revoked)")
    .action(run(async (dir, id: string) => ({ kind: "client-state", ...(await setClientDisabled(dir, id, false)) })));
  client
    .command("remove <id>")
    .description("delete a client and revoke every token it holds")
    .action(run(async (dir, id: string) => ({ kind: "client-removed", ...(await removeClient(dir, id)) })));
  client
    .command("rotate-secret <id>")
    .description("issue a new secret (printed once); the old one stops working at once, or at the end of --overlap")
    .option("--overlap <duration>", "keep the old secret working this long for a rollout without downtime: e.g. 90s, 30m, 24h, 1d; at most 30d")
    .action(run(async (dir, id: string, options: RotateSecretOptions) => ({ kind: "client-secret", rotated: await rotateClientSecret(dir, id, options) })));
  client
    .command("revoke-secret <id>")
    .description("with --old: end a rotation overlap now (the previous secret stops working); without: remove the secret of a client that has a public key or a certificate subject, so it authenticates with those only")
    .option("--old", "revoke only the previous secret of a running overlap")
    .action(run(async (dir, id: string, options: { old?: boolean }) => ({ kind: "client-secret-revoked", revocation: await revokeClientSecret(dir, id, options) })));

  program
    .command("policy")
    .summary("which client can call which RPC; --check fails on grants no RPC needs and RPCs nobody can call")
    .description("for each client, the RPCs it can call per audience (its grants joined with the proto access options), and the problems: grants no RPC needs, RPCs no enabled client can call")
    .option("--check", "print only the problems, and exit 7 when there is one (for CI)")
    .action(
      run(
        async (dir, options: { check?: boolean }) => ({ kind: "policy", report: await accessPolicy(dir), check: options.check === true }),
        (result) => (result.kind === "policy" && result.check ? policyCheckFailure(result.report) : undefined),
      ),
    );

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
