/**
 * The one place the admin CLI writes results: aligned text for people, or one
 * JSON document on stdout for scripts (--output json). Hints for people go to
 * stderr in text mode only, so stdout stays clean.
 */
import type { AccessPolicyReport } from "../policy/access-policy.js";
import type { ClientCredentials } from "./client-commands.js";
import type { SecretRevocation, SecretRotation } from "./client-secret-commands.js";
import { formatGrants, type ClientView } from "./client-view.js";
import type { KeyRotation, KeyView } from "./key-commands.js";
import { policyReportLines } from "./policy-printer.js";

/** Every result a command can return. */
export type AdminResult =
  | { kind: "client-added"; added: ClientCredentials }
  | { kind: "client-updated"; updated: ClientCredentials }
  | { kind: "clients"; clients: readonly ClientView[] }
  | { kind: "client-state"; client: ClientView; changed: boolean }
  | { kind: "client-removed"; clientId: string; reappearsOnStart: boolean }
  | { kind: "client-secret"; rotated: SecretRotation }
  | { kind: "client-secret-revoked"; revocation: SecretRevocation }
  | { kind: "policy"; report: AccessPolicyReport; check: boolean }
  | { kind: "key-rotated"; rotation: KeyRotation }
  | { kind: "keys"; keys: readonly KeyView[] };

/** text (default) or json. */
export type OutputFormat = "text" | "json";

/** Where output goes (process streams in main.ts, buffers in tests). */
export interface AdminOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Creates the printer for one format. */
export function createAdminPrinter(format: OutputFormat, out: AdminOutput): { print(result: AdminResult): void } {
  const line = (text = "") => out.stdout(`${text}\n`);
  const hint = (text: string) => format === "text" && out.stderr(`${text}\n`);
  return {
    print(result) {
      if (format === "json") return line(JSON.stringify(jsonDocument(result), null, 2));
      switch (result.kind) {
        case "client-added":
        case "client-updated": {
          const { client, clientSecret, privateKeyFile } = result.kind === "client-added" ? result.added : result.updated;
          line(`${result.kind === "client-added" ? "added" : "updated"} client ${client.clientId} (${summary(client)})`);
          if (clientSecret !== undefined) line(`client_secret: ${clientSecret}`);
          if (privateKeyFile !== undefined) line(`private key: ${privateKeyFile} (PKCS#8 PEM, mode 0600; kid ${client.publicJwk?.kid ?? "-"})`);
          if (clientSecret !== undefined) hint("the secret is shown only this once and stored only as a hash: keep it somewhere safe now");
          if (privateKeyFile !== undefined) hint("only the public key is registered: hand the private key file to the client alone, and keep no other copy");
          return;
        }
        case "client-secret": {
          const { client, clientSecret, credentialsFileEntries, hadSecret } = result.rotated;
          const until = client.overlapEndsAt;
          const old = !hadSecret ? "it had none before" : until !== null ? `the old one keeps working until ${until}` : "the old one no longer works";
          line(`new secret for client ${client.clientId}; ${old}`);
          line(`client_secret: ${clientSecret}`);
          hint("the secret is shown only this once and stored only as a hash: keep it somewhere safe now");
          if (until !== null) hint(`roll the new secret out before then; "client revoke-secret ${client.clientId} --old" ends the overlap sooner`);
          if (credentialsFileEntries.length > 0) hint(`clients.json (${credentialsFileEntries.join(", ")}) now holds the new secret`);
          return;
        }
        case "client-secret-revoked": {
          const { client, revoked, changed } = result.revocation;
          if (revoked === "old") return line(changed ? `the previous secret of client ${client.clientId} no longer works` : `no secret rotation overlap is running for client ${client.clientId}; nothing changed`);
          return line(changed ? `removed the secret of client ${client.clientId}; it authenticates with ${client.authMethods.join(" or ")} only` : `client ${client.clientId} has no secret; nothing changed`);
        }
        case "clients":
          if (result.clients.length === 0) return line("no clients");
          return table(
            ["CLIENT ID", "GRANTS", "AUTH", "DPOP", "TLS SUBJECT", "TTL", "TOKENS/MIN", "OVERLAP ENDS", "DISABLED", "CREATED"],
            result.clients.map((c) => [
              c.clientId,
              formatGrants(c.grants),
              c.authMethods.join(",") || "-",
              c.requireDpop ? "required" : "-",
              c.tlsClientAuthSubjectDn ?? "-",
              ttl(c),
              c.maxTokensPerMinute === null ? "-" : String(c.maxTokensPerMinute),
              c.overlapEndsAt ?? "-",
              c.disabled ? "yes" : "no",
              c.createdAt,
            ]),
          );
        case "client-state": {
          const { client, changed } = result;
          const state = client.disabled ? "disabled" : "enabled";
          if (!changed) return line(`client ${client.clientId} was already ${state}`);
          return line(client.disabled ? `client ${client.clientId} disabled; every token it holds is revoked` : `client ${client.clientId} enabled`);
        }
        case "client-removed":
          line(`removed client ${result.clientId}; every token it held is revoked`);
          if (result.reappearsOnStart) hint("the auth provider registers the assistant again from clients.json at its next start; disable it to keep it out");
          return;
        case "policy":
          for (const text of policyReportLines(result.report, { check: result.check })) line(text);
          return;
        case "key-rotated": {
          const { rotation } = result;
          line(`new signing key ${rotation.kid}: published now, signs from ${rotation.activatesAt}`);
          for (const old of rotation.retiring) line(`key ${old.kid} signs until ${rotation.activatesAt}, published until ${old.retiresAt}`);
          for (const kid of rotation.dropped) line(`removed retired key ${kid}`);
          return;
        }
        case "keys":
          return table(
            ["KID", "CREATED", "STATE", "SIGNS FROM", "PUBLISHED UNTIL"],
            result.keys.map((k) => [k.kid, k.createdAt ?? "-", k.state, k.activatesAt ?? "-", k.retiresAt ?? "-"]),
          );
      }
    },
  };

  function table(header: string[], rows: string[][]): void {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) line(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "));
  }
}

function jsonDocument(result: AdminResult): unknown {
  switch (result.kind) {
    case "client-added":
      return result.added;
    case "client-updated":
      return result.updated;
    case "client-secret":
      return result.rotated;
    case "client-secret-revoked":
      return result.revocation;
    case "clients":
      return { clients: result.clients };
    case "client-state":
      return { client: result.client, changed: result.changed };
    case "client-removed":
      return { removed: { clientId: result.clientId }, reappearsOnStart: result.reappearsOnStart };
    case "policy":
      return result.report;
    case "key-rotated":
      return result.rotation;
    case "keys":
      return { keys: result.keys };
  }
}

function ttl(client: ClientView): string {
  return client.tokenTtlSeconds === null ? "default" : `${client.tokenTtlSeconds}s`;
}

function summary(client: ClientView): string {
  const budget = client.maxTokensPerMinute === null ? "none" : `${client.maxTokensPerMinute} tokens/min`;
  const subject = client.tlsClientAuthSubjectDn === null ? "" : `; tls subject: ${client.tlsClientAuthSubjectDn}`;
  const dpop = client.requireDpop ? "; DPoP required" : "";
  return `grants: ${formatGrants(client.grants)}; auth: ${client.authMethods.join(", ") || "none"}${subject}${dpop}; token ttl: ${ttl(client)}; budget: ${budget}`;
}
