/**
 * The one place the admin CLI writes results: aligned text for people, or one
 * JSON document on stdout for scripts (--output json). Hints for people go to
 * stderr in text mode only, so stdout stays clean.
 */
import type { ClientView, ClientWithSecret } from "./client-commands.js";
import type { KeyRotation, KeyView } from "./key-commands.js";

/** Every result a command can return. */
export type AdminResult =
  | { kind: "client-added"; added: ClientWithSecret }
  | { kind: "clients"; clients: readonly ClientView[] }
  | { kind: "client-state"; client: ClientView; changed: boolean }
  | { kind: "client-removed"; clientId: string; reappearsOnStart: boolean }
  | { kind: "client-secret"; rotated: ClientWithSecret }
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
        case "client-secret": {
          const { client, clientSecret, credentialsFileEntries } = result.kind === "client-added" ? result.added : result.rotated;
          line(result.kind === "client-added" ? `added client ${client.clientId} (${summary(client)})` : `new secret for client ${client.clientId}; the old one no longer works`);
          line(`client_secret: ${clientSecret}`);
          hint("the secret is shown only this once and stored only as a hash: keep it somewhere safe now");
          if (credentialsFileEntries.length > 0) hint(`clients.json (${credentialsFileEntries.join(", ")}) now holds the new secret`);
          return;
        }
        case "clients":
          if (result.clients.length === 0) return line("no clients");
          return table(
            ["CLIENT ID", "SCOPES", "AUDIENCES", "TTL", "DISABLED", "CREATED"],
            result.clients.map((c) => [c.clientId, c.scopes.join(" "), c.audiences.join(" "), ttl(c), c.disabled ? "yes" : "no", c.createdAt]),
          );
        case "client-state": {
          const state = result.client.disabled ? "disabled" : "enabled";
          return line(result.changed ? `client ${result.client.clientId} ${state}` : `client ${result.client.clientId} was already ${state}`);
        }
        case "client-removed":
          line(`removed client ${result.clientId}`);
          if (result.reappearsOnStart) hint("the auth provider registers the assistant again from clients.json at its next start; disable it to keep it out");
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
    case "client-secret":
      return result.rotated;
    case "clients":
      return { clients: result.clients };
    case "client-state":
      return { client: result.client, changed: result.changed };
    case "client-removed":
      return { removed: { clientId: result.clientId }, reappearsOnStart: result.reappearsOnStart };
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
  return `scopes: ${client.scopes.join(" ")}; audiences: ${client.audiences.join(" ")}; token ttl: ${ttl(client)}`;
}
