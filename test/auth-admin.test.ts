/**
 * The admin CLI (`auth-admin`) as a subprocess against a real data directory
 * while the real auth provider runs on it: every command in text and JSON,
 * its effect on the token endpoint without a restart, the access policy
 * report and its check, and errors as exit codes with one-line messages.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, importPKCS8, SignJWT, type JWK } from "jose";
import { basicAuthorization, requestToken } from "./support/auth-provider.js";
import { runNode, type CliResult } from "./support/cli.js";
import { runCommand } from "./support/commands.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";

let data: { path: string; remove(): void };
let provider: RunningProcess;
const printedSecrets: string[] = [];

const admin = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runNode("auth-provider/admin/main.js", args, { DATA_DIR: data.path, ...env });

async function ok(args: string[]): Promise<string> {
  const result = await admin(args);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}
const json = async <T = Record<string, unknown>>(args: string[]): Promise<T> => JSON.parse(await ok(["--output", "json", ...args])) as T;

function secretFrom(text: string): string {
  const secret = /^client_secret: ([A-Za-z0-9_-]{43})$/m.exec(text)?.[1];
  assert.ok(secret, `a secret in: ${text}`);
  printedSecrets.push(secret);
  return secret;
}

async function token(clientId: string, secret: string, audience = "calendar-service", scope = "calendar.read") {
  const answer = await requestToken(provider.url, { form: { grant_type: "client_credentials", audience, scope } }, { authorization: basicAuthorization(clientId, secret) });
  return { status: answer.status, error: answer.json?.["error"], json: answer.json };
}

async function jwksKids(): Promise<string[]> {
  const jwks = (await (await fetch(`${provider.url}/auth/jwt/jwks.json`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid);
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  data = tempDataDir();
  provider = await startProcess("auth-provider/main.js", { env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: data.path } });
});
after(async () => {
  assert.equal(await provider?.stop(), 0);
  data?.remove();
});

describe("auth-admin policy", () => {
  // Runs first, while the assistant is the only client; leaves the clients as it found them.
  const extra = { AUTH_EXTRA_AUDIENCES: "note-service=note.admin;billing-service=billing.read" };

  it("a fresh data directory: the assistant can call every RPC, and --check passes", async () => {
    const text = await ok(["policy"]);
    assert.match(text, /^client assistant\n  calendar-service: calendar\.read calendar\.write\n    m2m\.calendar\.v1\.CalendarService\/ListEvents\n/);
    assert.match(text, /^  note-service: note\.read note\.write\n(    m2m\.notes\.v1\.NoteService\/\w+\n){6}/m);
    assert.match(text, /\nno problems\n$/);
    assert.equal(await ok(["policy", "--check"]), "policy check passed: every grant is needed and every RPC has a caller (1 client, 12 RPCs)\n");
    const report = await json<{ audiences: { audience: string; methods: { name: string; callers: string[] }[] }[]; problems: unknown[] }>(["policy"]);
    assert.deepEqual(report.audiences.map((a) => [a.audience, a.methods.length]), [["calendar-service", 6], ["note-service", 6]]);
    assert.ok(report.audiences.every((a) => a.methods.every((m) => m.callers.join() === "assistant")));
    assert.deepEqual(report.problems, []);
  });

  it("a grant no RPC needs fails the check, naming it; a configured audience is listed, not flagged", async () => {
    const added = await admin(["client", "add", "auditor", "--grant", "note-service:note.read,note.admin", "--grant", "billing-service:billing.read"], extra);
    assert.equal(added.code, 0, added.stderr);
    printedSecrets.push(secretFrom(added.stdout));
    const text = (await admin(["policy"], extra)).stdout;
    assert.match(text, /^client auditor\n  billing-service: billing\.read  \(configured audience: its RPCs are not known here\)\n  note-service: note\.admin note\.read\n    m2m\.notes\.v1\.NoteService\/ListNotes\n/m);
    const check = await admin(["policy", "--check"], extra);
    assert.equal(check.code, 7, check.stderr);
    assert.equal(check.stdout, "problems (1):\n  - client auditor holds the grant note-service:note.admin, which no RPC needs: no RPC of note-service requires note.admin\n");
    assert.equal(check.stderr, "auth-admin: policy check failed: 1 problem\n");
    const report = JSON.parse((await admin(["--output", "json", "policy", "--check"], extra)).stdout) as { problems: Record<string, unknown>[] };
    assert.deepEqual(report.problems.map(({ message: _message, ...rest }) => rest), [{ kind: "unused-grant", clientId: "auditor", audience: "note-service", scope: "note.admin" }]);
  });

  it("an RPC no enabled client can call fails the check: disabling the assistant leaves every write uncallable", async () => {
    assert.equal((await admin(["client", "update", "auditor", "--remove-grant", "note-service:note.admin"], extra)).code, 0);
    assert.equal(await ok(["client", "disable", "assistant"]), "client assistant disabled; every token it holds is revoked\n");
    assert.match(await ok(["policy"]), /^client assistant \(disabled: calls nothing; its grants would allow\)\n  calendar-service: /m);
    const check = await admin(["policy", "--check"], extra);
    assert.equal(check.code, 7, check.stderr);
    assert.equal(check.stderr, "auth-admin: policy check failed: 9 problems\n");
    const lines = check.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "problems (9):");
    assert.equal(lines[1], "  - no enabled client can call m2m.calendar.v1.CalendarService/ListEvents (needs calendar-service:calendar.read)");
    assert.ok(lines.includes("  - no enabled client can call m2m.notes.v1.NoteService/CreateNote (needs note-service:note.write)"), check.stdout);
    assert.ok(!lines.some((l) => /NoteService\/(ListNotes|GetNote|WatchNotes)/.test(l)), "the auditor still reads notes");

    assert.equal(await ok(["client", "enable", "assistant"]), "client assistant enabled\n");
    await ok(["client", "remove", "auditor"]);
    assert.equal((await admin(["policy", "--check"])).code, 0);
  });
});

describe("auth-admin client commands", () => {
  let reporterSecret: string;
  const keys = mkdtempSync(join(tmpdir(), "m2m-grpc-client-keys-"));
  after(() => rmSync(keys, { recursive: true, force: true }));

  it("client add --grant: the new client gets tokens at once, only for the scopes granted for each audience", async () => {
    const result = await admin(["client", "add", "reporter", "--grant", "calendar-service:calendar.read", "--grant", "note-service:note.read", "--token-ttl", "600"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^added client reporter \(grants: calendar-service:calendar\.read note-service:note\.read; auth: client_secret; token ttl: 600s; budget: none\)\n/);
    assert.match(result.stderr, /shown only this once/);
    reporterSecret = secretFrom(result.stdout);
    const granted = await token("reporter", reporterSecret);
    assert.equal(granted.status, 200);
    assert.equal(granted.json?.["expires_in"], 600);
    assert.equal((await token("reporter", reporterSecret, "calendar-service", "calendar.write")).error, "invalid_scope");
    assert.equal((await token("reporter", reporterSecret, "calendar-service", "note.read")).error, "invalid_scope");
    assert.equal((await token("reporter", reporterSecret, "note-service", "note.read")).status, 200);
  });

  it("client add --output json", async () => {
    const added = await json<{ client: Record<string, unknown>; clientSecret: string }>(["client", "add", "batch", "--grant", "note-service:note.write,note.read", "--max-tokens-per-minute", "100"]);
    assert.deepEqual({ ...added.client, createdAt: "", updatedAt: "" }, {
      clientId: "batch",
      grants: [{ audience: "note-service", scopes: ["note.read", "note.write"] }],
      authMethods: ["client_secret"],
      overlapEndsAt: null,
      publicJwk: null,
      tlsClientAuthSubjectDn: null,
      requireDpop: false,
      tokenTtlSeconds: null,
      maxTokensPerMinute: 100,
      disabled: false,
      createdAt: "",
      updatedAt: "",
    });
    printedSecrets.push(added.clientSecret);
    assert.equal((await token("batch", added.clientSecret, "note-service", "note.read")).status, 200);
    assert.equal((await token("batch", added.clientSecret)).error, "invalid_target");
  });

  it("client list, in text and JSON", async () => {
    const lines = (await ok(["client", "list"])).trimEnd().split("\n");
    assert.match(lines[0]!, /^CLIENT ID +GRANTS +AUTH +DPOP +TLS SUBJECT +TTL +TOKENS\/MIN +OVERLAP ENDS +DISABLED +CREATED$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ {2,}/)[0]), ["assistant", "batch", "reporter"]);
    assert.match(lines[1]!, /^assistant +calendar-service:calendar\.read,calendar\.write note-service:note\.read,note\.write +client_secret +- +- +default +- +- +no +\d{4}-/);
    assert.match(lines[2]!, /^batch +note-service:note\.read,note\.write +client_secret +- +- +default +100 +- +no +\d{4}-/);
    assert.match(lines[3]!, /^reporter +calendar-service:calendar\.read note-service:note\.read +client_secret +- +- +600s +- +- +no +\d{4}-\d\d-\d\dT/);
    const { clients } = await json<{ clients: { clientId: string; tokenTtlSeconds: number | null }[] }>(["client", "list"]);
    assert.deepEqual(clients.map((c) => [c.clientId, c.tokenTtlSeconds]), [["assistant", null], ["batch", null], ["reporter", 600]]);
    assert.doesNotMatch(JSON.stringify(clients), /[A-Za-z0-9_-]{43}/, "no secret");
  });

  it("client update: --grant replaces, --add-grant and --remove-grant change, the last grant stays", async () => {
    type Updated = { client: { grants: { audience: string; scopes: string[] }[]; tokenTtlSeconds: number | null; maxTokensPerMinute: number | null } };
    const replaced = await json<Updated>(["client", "update", "batch", "--grant", "calendar-service:calendar.read", "--token-ttl", "900", "--max-tokens-per-minute", "none"]);
    assert.deepEqual(replaced.client.grants, [{ audience: "calendar-service", scopes: ["calendar.read"] }]);
    assert.deepEqual([replaced.client.tokenTtlSeconds, replaced.client.maxTokensPerMinute], [900, null]);
    const text = await ok(["client", "update", "batch", "--add-grant", "note-service:note.read", "--add-grant", "calendar-service:calendar.write", "--token-ttl", "default"]);
    assert.equal(text, "updated client batch (grants: calendar-service:calendar.read,calendar.write note-service:note.read; auth: client_secret; token ttl: default; budget: none)\n");
    const removed = await json<Updated>(["client", "update", "batch", "--remove-grant", "calendar-service:calendar.read,calendar.write", "--max-tokens-per-minute", "5"]);
    assert.deepEqual(removed.client.grants, [{ audience: "note-service", scopes: ["note.read"] }]);
    assert.equal(removed.client.maxTokensPerMinute, 5);

    const last = await admin(["client", "update", "batch", "--remove-grant", "note-service:note.read"]);
    assert.equal(last.code, 2);
    assert.equal(last.stderr, 'auth-admin: that would remove the last grant of client "batch"; a client needs at least one ("client remove batch" deletes it)\n');
    const absent = await admin(["client", "update", "batch", "--remove-grant", "note-service:note.write"]);
    assert.equal(absent.code, 2);
    assert.match(absent.stderr, /--remove-grant: client "batch" has no grant note-service:note\.write \(its grants: note-service:note\.read\)/);
    const unknown = await admin(["client", "update", "batch", "--add-grant", "note-service:note.delete"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--add-grant: audience "note-service" defines no scope "note\.delete"; its scopes are note\.read note\.write/);
    const batchSecret = printedSecrets.at(-1)!;
    assert.equal((await token("batch", batchSecret, "note-service", "note.read")).status, 200);
    assert.equal((await token("batch", batchSecret)).error, "invalid_target");
  });

  it("client disable revokes the client's tokens → invalid_client; enable → works again", async () => {
    assert.equal(await ok(["client", "disable", "reporter"]), "client reporter disabled; every token it holds is revoked\n");
    assert.equal((await token("reporter", reporterSecret)).error, "invalid_client");
    assert.deepEqual(await json(["client", "disable", "reporter"]), { client: (await json<{ clients: object[] }>(["client", "list"])).clients[2], changed: false });
    assert.equal(await ok(["client", "enable", "reporter"]), "client reporter enabled\n");
    assert.equal((await token("reporter", reporterSecret)).status, 200);
  });

  it("client rotate-secret: the old secret is refused, the new one works", async () => {
    const text = await ok(["client", "rotate-secret", "reporter"]);
    assert.match(text, /^new secret for client reporter; the old one no longer works\n/);
    const fresh = secretFrom(text);
    assert.equal((await token("reporter", reporterSecret)).error, "invalid_client");
    assert.equal((await token("reporter", fresh)).status, 200);
    const rotated = await json<{ clientSecret: string; credentialsFileEntries: string[] }>(["client", "rotate-secret", "reporter"]);
    printedSecrets.push(rotated.clientSecret);
    reporterSecret = rotated.clientSecret;
    assert.deepEqual(rotated.credentialsFileEntries, []);
    assert.equal((await token("reporter", fresh)).error, "invalid_client");
    assert.equal((await token("reporter", rotated.clientSecret)).status, 200);
  });

  it("client rotate-secret --overlap 1h: both secrets work until revoke-secret --old", async () => {
    const result = await admin(["client", "rotate-secret", "reporter", "--overlap", "1h"]);
    assert.equal(result.code, 0, result.stderr);
    const until = /^new secret for client reporter; the old one keeps working until (\S+)\n/.exec(result.stdout)?.[1];
    assert.ok(until, result.stdout);
    assert.ok(Math.abs(Date.parse(until) - (Date.now() + 3_600_000)) < 60_000, until);
    assert.match(result.stderr, /"client revoke-secret reporter --old" ends the overlap sooner/);
    const fresh = secretFrom(result.stdout);
    assert.equal((await token("reporter", reporterSecret)).status, 200);
    assert.equal((await token("reporter", fresh)).status, 200);
    const { clients } = await json<{ clients: { clientId: string; overlapEndsAt: string | null }[] }>(["client", "list"]);
    assert.equal(clients.find((c) => c.clientId === "reporter")!.overlapEndsAt, until);
    assert.match(await ok(["client", "list"]), new RegExp(`^reporter .* ${until.replace(/\./g, "\\.")} +no `, "m"));

    assert.equal(await ok(["client", "revoke-secret", "reporter", "--old"]), "the previous secret of client reporter no longer works\n");
    assert.equal((await token("reporter", reporterSecret)).error, "invalid_client");
    assert.equal((await token("reporter", fresh)).status, 200);
    const again = await json<{ changed: boolean; revoked: string; client: { overlapEndsAt: string | null } }>(["client", "revoke-secret", "reporter", "--old"]);
    assert.deepEqual([again.changed, again.revoked, again.client.overlapEndsAt], [false, "old", null]);
    assert.equal(await ok(["client", "revoke-secret", "reporter", "--old"]), "no secret rotation overlap is running for client reporter; nothing changed\n");
    reporterSecret = fresh;
  });

  it("client add --key-out: a 0600 PKCS#8 PEM, no secret; the key authenticates", async () => {
    const keyFile = join(keys, "signer.pem");
    const added = JSON.parse(await ok(["--output", "json", "client", "add", "signer", "--grant", "note-service:note.read", "--key-out", keyFile])) as Record<string, unknown> & {
      client: { authMethods: string[]; publicJwk: JWK & { kid: string } };
    };
    assert.equal(added["privateKeyFile"], keyFile);
    assert.ok(!("clientSecret" in added));
    assert.doesNotMatch(JSON.stringify(added), /secret/i);
    assert.deepEqual(added.client.authMethods, ["private_key_jwt"]);
    assert.equal(added.client.publicJwk.kid, await calculateJwkThumbprint(added.client.publicJwk, "sha256"));
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const pem = readFileSync(keyFile, "utf8");
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);

    const issuer = provider.logs().find((l) => l["msg"] === "listening")!["issuer"] as string;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: added.client.publicJwk.kid })
      .setIssuer("signer")
      .setSubject("signer")
      .setAudience(issuer)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime("2m")
      .sign(await importPKCS8(pem, "ES256"));
    const granted = await requestToken(provider.url, {
      form: { grant_type: "client_credentials", audience: "note-service", scope: "note.read", client_id: "signer", client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion },
    });
    assert.equal(granted.status, 200, granted.text);

    const again = await admin(["client", "add", "signer2", "--grant", "note-service:note.read", "--key-out", keyFile]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /--key-out ".*signer\.pem": it exists already and is never overwritten; choose another path\n$/);
    assert.equal(readFileSync(keyFile, "utf8"), pem);
    assert.equal((await admin(["client", "list"])).stdout.includes("signer2"), false);
  });

  it("client add --jwk: a public JWK is registered, a private one refused; update --key-out replaces it", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const publicFile = join(keys, "public.jwk");
    const privateFile = join(keys, "private.jwk");
    writeFileSync(publicFile, JSON.stringify(await exportJWK(publicKey)));
    writeFileSync(privateFile, JSON.stringify(await exportJWK(privateKey)));
    const refused = await admin(["client", "add", "jwk-bot", "--grant", "note-service:note.read", "--jwk", privateFile]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^auth-admin: --jwk ".*private\.jwk": the key must be a public key: it has the private member\(s\) d; register only the public part/);
    const added = await json<{ client: { authMethods: string[]; publicJwk: { d?: string } } }>(["client", "add", "jwk-bot", "--grant", "note-service:note.read", "--jwk", publicFile]);
    assert.deepEqual(added.client.authMethods, ["private_key_jwt"]);
    assert.equal(added.client.publicJwk.d, undefined);
    const replacement = join(keys, "jwk-bot.pem");
    const updated = await admin(["client", "update", "jwk-bot", "--key-out", replacement]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /^updated client jwk-bot \(grants: note-service:note\.read; auth: private_key_jwt; token ttl: default; budget: none\)\nprivate key: .*jwk-bot\.pem \(PKCS#8 PEM, mode 0600; kid [A-Za-z0-9_-]{43}\)\n$/);
    assert.match(updated.stderr, /hand the private key file to the client alone/);
    assert.equal(statSync(replacement).mode & 0o777, 0o600);
    assert.equal(await ok(["client", "remove", "jwk-bot"]), "removed client jwk-bot; every token it held is revoked\n");
  });

  it("client revoke-secret: only a client with a key may lose its secret", async () => {
    const keyless = await admin(["client", "revoke-secret", "reporter"]);
    assert.equal(keyless.code, 2);
    assert.match(keyless.stderr, /^auth-admin: client "reporter" has no public key or certificate subject, so without its secret it could not authenticate: register one first/);
    assert.equal(await ok(["client", "revoke-secret", "signer"]), "client signer has no secret; nothing changed\n");
    const withSecret = secretFrom(await ok(["client", "rotate-secret", "signer"]));
    assert.equal((await token("signer", withSecret, "note-service", "note.read")).status, 200);
    const revoked = await json<{ changed: boolean; client: { authMethods: string[] } }>(["client", "revoke-secret", "signer"]);
    assert.deepEqual([revoked.changed, revoked.client.authMethods], [true, ["private_key_jwt"]]);
    assert.equal((await token("signer", withSecret, "note-service", "note.read")).error, "invalid_client");
    const overlap = await admin(["client", "rotate-secret", "signer", "--overlap", "1h"]);
    assert.equal(overlap.code, 2);
    assert.match(overlap.stderr, /client "signer" has no secret that could keep working; rotate-secret without --overlap gives it one/);
  });

  it("client add --tls-subject --require-dpop: no secret; update changes both; list shows both", async () => {
    type Added = Record<string, unknown> & { client: { authMethods: string[]; tlsClientAuthSubjectDn: string | null; requireDpop: boolean } };
    const added = await json<Added>(["client", "add", "mtls-bot", "--grant", "note-service:note.read", "--tls-subject", "CN = mtls-bot, O=Example", "--require-dpop"]);
    assert.doesNotMatch(JSON.stringify(added), /secret/i, "no secret is issued");
    assert.deepEqual([added.client.authMethods, added.client.tlsClientAuthSubjectDn, added.client.requireDpop], [["tls_client_auth"], "CN=mtls-bot,O=Example", true]);
    assert.match(await ok(["client", "list"]), /^mtls-bot +note-service:note\.read +tls_client_auth +required +CN=mtls-bot,O=Example +default +- +- +no +\d{4}-/m);

    const noWayIn = await admin(["client", "update", "mtls-bot", "--tls-subject", "none"]);
    assert.equal(noWayIn.code, 2);
    assert.match(noWayIn.stderr, /client "mtls-bot" would have no secret, public key or certificate subject, and could not authenticate/);
    const secret = secretFrom(await ok(["client", "rotate-secret", "mtls-bot"]));
    const text = await ok(["client", "update", "mtls-bot", "--tls-subject", "none", "--no-require-dpop"]);
    assert.equal(text, "updated client mtls-bot (grants: note-service:note.read; auth: client_secret; token ttl: default; budget: none)\n");
    assert.equal((await token("mtls-bot", secret, "note-service", "note.read")).status, 200);

    // --require-dpop takes effect at once: a request without a proof is refused.
    const strict = await json<Added>(["client", "update", "mtls-bot", "--require-dpop", "--tls-subject", "O=Example,CN=mtls-bot"]);
    assert.deepEqual([strict.client.authMethods, strict.client.tlsClientAuthSubjectDn], [["client_secret", "tls_client_auth"], "O=Example,CN=mtls-bot"]);
    const refused = await token("mtls-bot", secret, "note-service", "note.read");
    assert.deepEqual([refused.status, refused.error], [400, "invalid_dpop_proof"]);
    assert.equal(await ok(["client", "remove", "mtls-bot"]), "removed client mtls-bot; every token it held is revoked\n");
  });

  it("client rotate-secret assistant keeps clients.json in step", async () => {
    const rotated = await json<{ clientSecret: string; credentialsFileEntries: string[] }>(["client", "rotate-secret", "assistant"]);
    printedSecrets.push(rotated.clientSecret);
    assert.deepEqual(rotated.credentialsFileEntries, ["assistant"]);
    const file = JSON.parse(readFileSync(join(data.path, "clients.json"), "utf8")) as Record<string, { clientSecret: string }>;
    assert.equal(file["assistant"]!.clientSecret, rotated.clientSecret);
    assert.equal((await token("assistant", rotated.clientSecret)).status, 200);
  });

  it("client remove: gone from the token endpoint and the list", async () => {
    assert.equal(await ok(["client", "remove", "batch"]), "removed client batch; every token it held is revoked\n");
    assert.deepEqual(await json(["client", "remove", "reporter"]), { removed: { clientId: "reporter" }, reappearsOnStart: false });
    assert.equal((await token("reporter", reporterSecret)).error, "invalid_client");
    await ok(["client", "remove", "signer"]);
    const { clients } = await json<{ clients: { clientId: string }[] }>(["client", "list"]);
    assert.deepEqual(clients.map((c) => c.clientId), ["assistant"]);
  });
});

describe("auth-admin key commands", () => {
  it("key rotate publishes the new key at once and signs with it after the delay; a second rotation waits", async () => {
    const before = JSON.parse(await ok(["--output", "json", "key", "list"])) as { keys: { kid: string; state: string; current: boolean }[] };
    assert.deepEqual(before.keys.map((k) => [k.state, k.current]), [["signing", true]]);
    const oldKid = before.keys[0]!.kid;

    // The delay leaves time for the second rotation below to find the first still pending, even on a slow machine.
    const text = await ok(["key", "rotate", "--activation-delay", "4"]);
    const newKid = /^new signing key ([A-Za-z0-9_-]{43}): published now, signs from (\S+)\n/.exec(text)?.[1];
    assert.ok(newKid, text);
    assert.match(text, new RegExp(`^key ${oldKid} signs until \\S+, published until \\S+$`, "m"));
    const pending = await admin(["key", "rotate"]);
    assert.equal(pending.code, 2);
    assert.match(pending.stderr, /^auth-admin: the key \S+ from the previous rotation starts signing only at \S+; rotate again after that\n$/);
    await eventually(async () => (await jwksKids()).includes(newKid), "the new key is published");

    await eventually(async () => {
      const granted = await requestToken(provider.url, { form: { grant_type: "client_credentials", audience: "note-service", scope: "note.read" } }, {
        authorization: basicAuthorization("assistant", printedSecrets.at(-1)!),
      });
      return decodeProtectedHeader(granted.json!["access_token"] as string).kid === newKid;
    }, "tokens carry the new kid");

    const rotation = await json<{ kid: string; retiring: { kid: string }[]; keys: { kid: string; state: string }[] }>(["key", "rotate"]);
    assert.deepEqual(rotation.retiring.map((r) => r.kid), [newKid]);
    assert.deepEqual(rotation.keys.map((k) => [k.kid, k.state]), [[oldKid, "retiring"], [newKid, "signing"], [rotation.kid, "next"]]);
    await eventually(async () => (await jwksKids()).length === 3, "three keys are published");

    const lines = (await ok(["key", "list"])).trimEnd().split("\n");
    assert.match(lines[0]!, /^KID +CREATED +STATE +SIGNS FROM +PUBLISHED UNTIL$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ +/)[2]), ["retiring", "signing", "next"]);
  });

  it("runs as npm run auth-admin", async () => {
    const result = await runCommand("npm", ["run", "--silent", "auth-admin", "--", "--output", "json", "key", "list"], { env: { DATA_DIR: data.path } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { keys: unknown[] }).keys.length, 3);
  });
});

describe("auth-admin errors", () => {
  const empty = mkdtempSync(join(tmpdir(), "m2m-grpc-empty-"));
  const broken = mkdtempSync(join(tmpdir(), "m2m-grpc-broken-"));
  writeFileSync(join(broken, "issuer-keys.json"), "{not json");
  after(() => [empty, broken].forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const cases: [string, string[], Record<string, string>, number, RegExp][] = [
    ["a bad client id", ["client", "add", "bad id!", "--grant", "note-service:note.read"], {}, 2, /invalid client id "bad id!": use 1 to 64 characters/],
    ["a client id over 64 characters", ["client", "add", "x".repeat(65), "--grant", "note-service:note.read"], {}, 2, /invalid client id/],
    ["no grant", ["client", "add", "c1"], {}, 2, /--grant needs at least one AUDIENCE:SCOPE, e\.g\. note-service:note\.read/],
    ["a grant without a scope", ["client", "add", "c1", "--grant", "note-service"], {}, 2, /invalid --grant "note-service": use AUDIENCE:SCOPE or AUDIENCE:SCOPE,SCOPE/],
    ["a quote in a grant", ["client", "add", "c1", "--grant", 'note-service:a"b'], {}, 2, /invalid --grant "note-service:a\\"b": no spaces, quotes/],
    ["an unknown audience", ["client", "add", "c1", "--grant", "mail-service:mail.send"], {}, 2, /--grant: unknown audience "mail-service"; the known audiences are calendar-service, note-service \(add another with AUTH_EXTRA_AUDIENCES=/],
    ["an unknown scope", ["client", "add", "c1", "--grant", "note-service:note.read,note.admin"], {}, 2, /--grant: audience "note-service" defines no scope "note\.admin"; its scopes are note\.read note\.write$/m],
    ["a scope of another audience", ["client", "add", "c1", "--grant", "calendar-service:note.read"], {}, 2, /audience "calendar-service" defines no scope "note\.read"; its scopes are calendar\.read calendar\.write/],
    ["the old --scope and --audience", ["client", "add", "c1", "--scope", "note.read", "--audience", "note-service"], {}, 2, /--scope and --audience are gone: .*--grant AUDIENCE:SCOPE/],
    ["a ttl under 60", ["client", "add", "c1", "--grant", "note-service:note.read", "--token-ttl", "59"], {}, 2, /--token-ttl "59": use whole seconds from 60 to 86400/],
    ["a ttl over 86400", ["client", "add", "c1", "--grant", "note-service:note.read", "--token-ttl", "86401"], {}, 2, /--token-ttl/],
    ["a ttl with a unit", ["client", "add", "c1", "--grant", "note-service:note.read", "--token-ttl", "1h"], {}, 2, /--token-ttl/],
    ["a budget of 0", ["client", "add", "c1", "--grant", "note-service:note.read", "--max-tokens-per-minute", "0"], {}, 2, /invalid --max-tokens-per-minute "0": use a whole number from 1 to 1000000/],
    ["--key-out with --jwk", ["client", "add", "c1", "--grant", "note-service:note.read", "--key-out", "a.pem", "--jwk", "b.jwk"], {}, 2, /give --key-out or --jwk, not both/],
    ["a --tls-subject that is not a DN", ["client", "add", "c1", "--grant", "note-service:note.read", "--tls-subject", "reporting"], {}, 2, /invalid --tls-subject "reporting": the subject DN part "reporting" is not TYPE=value; give the certificate's subject as TYPE=value,TYPE=value/],
    ["a --tls-subject with an empty value", ["client", "update", "assistant", "--tls-subject", "CN="], {}, 2, /invalid --tls-subject "CN=": the subject DN attribute CN has no value; .*, or "none"$/m],
    ["a missing JWK file", ["client", "add", "c1", "--grant", "note-service:note.read", "--jwk", "/nonexistent/key.jwk"], {}, 2, /--jwk "\/nonexistent\/key\.jwk": cannot read it \(ENOENT\)/],
    ["an existing client", ["client", "add", "assistant", "--grant", "note-service:note.read"], {}, 2, /client "assistant" already exists; use "client update assistant" or "client rotate-secret assistant"/],
    ["updating nothing", ["client", "update", "assistant"], {}, 2, /nothing to change: give --grant, --add-grant, --remove-grant/],
    ["--grant with --add-grant", ["client", "update", "assistant", "--grant", "note-service:note.read", "--add-grant", "note-service:note.write"], {}, 2, /--grant replaces every grant: give it alone/],
    ["a bad ttl change", ["client", "update", "assistant", "--token-ttl", "never"], {}, 2, /or "default"/],
    ["updating an unknown client", ["client", "update", "nobody", "--token-ttl", "600"], {}, 3, /no client "nobody"/],
    ["an overlap over 30 days", ["client", "rotate-secret", "assistant", "--overlap", "31d"], {}, 2, /invalid --overlap "31d": use a whole number with s, m, h or d \(e\.g\. 90s, 30m, 24h, 1d\), at most 30d/],
    ["an overlap without a unit", ["client", "rotate-secret", "assistant", "--overlap", "3600"], {}, 2, /invalid --overlap "3600"/],
    ["revoking the secret of an unknown client", ["client", "revoke-secret", "nobody", "--old"], {}, 3, /no client "nobody"/],
    ["a bad AUTH_EXTRA_AUDIENCES", ["policy"], { AUTH_EXTRA_AUDIENCES: "billing-service" }, 2, /AUTH_EXTRA_AUDIENCES/],
    ["disabling an unknown client", ["client", "disable", "nobody"], {}, 3, /no client "nobody"; "client list" shows the registered clients/],
    ["enabling an unknown client", ["client", "enable", "nobody"], {}, 3, /no client "nobody"/],
    ["removing an unknown client", ["client", "remove", "nobody"], {}, 3, /no client "nobody"/],
    ["rotating the secret of an unknown client", ["client", "rotate-secret", "nobody"], {}, 3, /no client "nobody"/],
    ["an unknown command", ["client", "frobnicate"], {}, 2, /unknown command 'frobnicate'/],
    ["an unknown output format", ["--output", "xml", "client", "list"], {}, 2, /argument 'xml' is invalid/],
    ["a bad activation delay", ["key", "rotate", "--activation-delay", "soon"], {}, 2, /invalid --activation-delay "soon"/],
    ["a bad setting", ["key", "list"], { AUTH_KEY_RETIRE_MARGIN_SECONDS: "-5" }, 2, /AUTH_KEY_RETIRE_MARGIN_SECONDS: "-5" is not a whole number/],
    ["the SuperTokens backend", ["client", "list"], { SUPERTOKENS_CONNECTION_URI: "http://127.0.0.1:3567" }, 2, /manages only the embedded issuer/],
    ["a data directory without keys", ["client", "list"], { DATA_DIR: empty }, 3, /no issuer keys in .*: start the auth provider once/],
    ["a broken keys file", ["key", "list"], { DATA_DIR: broken }, 1, /issuer-keys\.json is not a valid issuer keys file \(not JSON\); restore it/],
  ];
  for (const [name, args, env, code, message] of cases) {
    it(`${name}: exit ${code} and one line`, async () => {
      const result = await admin(args, env);
      assert.equal(result.code, code, result.stderr);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.split("\n").length, 2, `one line: ${result.stderr}`);
      assert.match(result.stderr, message);
    });
  }

  it("created nothing in a data directory without keys", () => {
    assert.deepEqual(readdirSync(empty), []);
  });

  it("never stored or logged a printed secret", () => {
    assert.ok(printedSecrets.length >= 5);
    for (const name of readdirSync(data.path).filter((n) => n !== "clients.json")) {
      const bytes = readFileSync(join(data.path, name));
      for (const secret of printedSecrets) assert.equal(bytes.indexOf(secret), -1, `${name} holds a secret`);
    }
    const logs = provider.output.join("\n");
    for (const secret of printedSecrets) assert.ok(!logs.includes(secret));
  });
});
