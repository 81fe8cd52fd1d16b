/**
 * The audit trail of `auth-admin`: the events a command's result stands for
 * (a client added, a secret rotated, a key rotated, …), appended to the file
 * AUTH_AUDIT_LOG names for this data directory (default DATA_DIR/audit.jsonl),
 * the same trail the auth provider writes. The actor is "auth-admin:<OS user>".
 * An event names what changed, never the new secret or private key.
 */
import { ConfigError } from "../../common/env.js";
import { CliError } from "../../common/cli-error.js";
import { createLogger } from "../../common/json-logger.js";
import { adminActor, auditEvent, type AuditEvent } from "../audit/audit-events.js";
import { openAuditLog, readAuditLogTarget, type AuditLog } from "../audit/audit-log.js";
import type { AdminResult } from "./admin-printer.js";
import type { ClientView } from "./client-view.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Opens the trail before a command changes anything, so an unwritable trail stops the command first.
 * @throws CliError usage naming AUTH_AUDIT_LOG when the file cannot be appended to.
 */
export function openAdminAuditLog(env: Env, dataDir: string): AuditLog {
  try {
    // "-" goes to stderr here: stdout is the command's result (one JSON document with --output json).
    return openAuditLog(readAuditLogTarget(env, dataDir), createLogger({ component: "auth-admin", level: "error" }), process.stderr);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError("usage", err.message, { cause: err });
    throw err;
  }
}

/** The events of a command's result, in the order they happened; none for a command that changed nothing. */
export function adminAuditEvents(result: AdminResult, actor: string = adminActor(), now: Date = new Date()): AuditEvent[] {
  const event = (name: Parameters<typeof auditEvent>[0], subject: string, details: Record<string, unknown> = {}) =>
    auditEvent(name, { actor, subject }, details, now);
  switch (result.kind) {
    case "client-added":
      return [event("client.added", result.added.client.clientId, clientDetails(result.added.client))];
    case "client-updated":
      return [event("client.updated", result.updated.client.clientId, clientDetails(result.updated.client))];
    case "client-state": {
      const { client, changed } = result;
      if (!client.disabled) return [event("client.enabled", client.clientId, { changed })];
      const disabled = event("client.disabled", client.clientId, { changed });
      return changed ? [disabled, event("client.tokens_revoked", client.clientId, { reason: "disabled" })] : [disabled];
    }
    case "client-removed":
      return [event("client.removed", result.clientId), event("client.tokens_revoked", result.clientId, { reason: "removed" })];
    case "client-secret": {
      const { client, hadSecret } = result.rotated;
      return [event("client.secret_rotated", client.clientId, { replaced_previous: hadSecret, previous_works_until: client.overlapEndsAt })];
    }
    case "client-secret-revoked": {
      const { client, revoked, changed } = result.revocation;
      return [event("client.secret_revoked", client.clientId, { revoked: revoked === "old" ? "previous" : "current", changed })];
    }
    case "key-rotated": {
      const { kid, activatesAt, retiring, dropped } = result.rotation;
      return [event("key.rotated", kid, { activates_at: activatesAt, retiring: retiring.map((k) => ({ kid: k.kid, retires_at: k.retiresAt })), dropped })];
    }
    case "clients":
    case "keys":
    case "policy":
      return [];
  }
}

// What an operator wants to see of a client in the trail: its grants and how it authenticates, never a credential.
function clientDetails(client: ClientView): Record<string, unknown> {
  return {
    grants: client.grants,
    auth_methods: client.authMethods,
    key_id: client.publicJwk?.kid ?? null,
    tls_subject: client.tlsClientAuthSubjectDn,
    require_dpop: client.requireDpop,
    token_ttl_seconds: client.tokenTtlSeconds,
    max_tokens_per_minute: client.maxTokensPerMinute,
    disabled: client.disabled,
  };
}
