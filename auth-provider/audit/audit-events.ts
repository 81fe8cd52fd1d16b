/**
 * The audit trail's events (issue 16): who did what to which client or key,
 * when, and how it ended. One JSON object per event; the fields every event
 * has come first, then the event's own details. An event never carries a
 * secret, a private key, a client assertion or a token: a token is named by
 * its jti. {@link forbiddenAuditFields} is the check tests walk every event
 * through.
 */
import { userInfo } from "node:os";

/** What happened. */
export type AuditEventName =
  | "token.issued"
  | "token.refused"
  | "token.revoked"
  | "client.added"
  | "client.updated"
  | "client.secret_rotated"
  | "client.secret_revoked"
  | "client.disabled"
  | "client.enabled"
  | "client.removed"
  | "client.tokens_revoked"
  | "key.rotated"
  | "key.activated"
  | "key.retired";

/** One line of the audit trail. */
export interface AuditEvent {
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly event: AuditEventName;
  /** The authenticated client id, "auth-admin:<OS user>", "auth-provider", or "unauthenticated". */
  readonly actor: string;
  /** The client id or kid the event is about ("" when the caller named none). */
  readonly subject: string;
  /** "ok", or the error code of a refusal or failure. */
  readonly outcome: string;
  /** The caller's address, when there is a caller. */
  readonly address?: string;
  /** Event-specific details (audience, scopes, jti, exp, grants, overlap end, …). */
  readonly [detail: string]: unknown;
}

/** The actor of events the provider itself notices (a key starting to sign, a key leaving the JWKS). */
export const providerActor = "auth-provider";

/** The actor of a caller that did not authenticate. */
export const unauthenticatedActor = "unauthenticated";

/** The actor of an `auth-admin` command: the tool and the OS user who ran it. */
export function adminActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env["USER"] ?? "unknown";
  }
  return `auth-admin:${user}`;
}

/** The longest caller-chosen text (a claimed client id) an event keeps. */
const maxClaimedLength = 64;

/** A caller-chosen value cut to a bounded length. */
export function claimed(value: string | undefined): string {
  if (value === undefined) return "";
  return value.length > maxClaimedLength ? `${value.slice(0, maxClaimedLength)}...` : value;
}

/** Builds an event stamped now; details go after the common fields and cannot override them. */
export function auditEvent(
  event: AuditEventName,
  common: { actor: string; subject: string; outcome?: string; address?: string | undefined },
  details: Record<string, unknown> = {},
  now: Date = new Date(),
): AuditEvent {
  return {
    ...details,
    time: now.toISOString(),
    event,
    actor: common.actor,
    subject: common.subject,
    outcome: common.outcome ?? "ok",
    ...(common.address === undefined ? {} : { address: common.address }),
  };
}

// Field names that would hold a credential: a secret, a private key ("d" of a JWK), an assertion, a token itself.
const forbiddenName = /secret|assertion|private|password|^d$|^access_token$|^token$|^refresh_token$/i;
// Values that look like a credential: a compact JWT/JWS, or a PEM block.
const forbiddenValue = /eyJ[\w-]+\.[\w-]+\.|-----BEGIN/;

/** The paths of fields in event that are named like or look like a credential; empty when it is clean. */
export function forbiddenAuditFields(event: unknown, path = ""): string[] {
  if (typeof event === "string") return forbiddenValue.test(event) ? [path] : [];
  if (typeof event !== "object" || event === null) return [];
  return Object.entries(event).flatMap(([name, value]) => {
    const here = path === "" ? name : `${path}.${name}`;
    return [...(forbiddenName.test(name) ? [here] : []), ...forbiddenAuditFields(value, here)];
  });
}
