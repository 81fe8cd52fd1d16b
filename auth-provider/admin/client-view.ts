/**
 * A client as `auth-admin` shows it: the stored record without internals,
 * with null for what it does not have (so JSON output shows every field), the
 * ways it can authenticate, and whether its tokens must be DPoP-bound. Never holds a secret, and no field name says
 * "secret", so the output for a client with a key only has no such word.
 */
import type { JWK } from "jose";
import type { ClientRecord, Grant } from "../clients/client-record.js";

/** How a client proves who it is at the token endpoint. */
export type AuthMethod = "client_secret" | "private_key_jwt" | "tls_client_auth";

/** A client as the CLI shows it. */
export interface ClientView {
  readonly clientId: string;
  readonly grants: readonly Grant[];
  /** client_secret while a secret is registered, private_key_jwt while a public key is, tls_client_auth while a subject DN is. */
  readonly authMethods: readonly AuthMethod[];
  /** While a rotation overlap runs (rotate-secret --overlap), when the previous secret stops working; else null. */
  readonly overlapEndsAt: string | null;
  /** The registered public key (with its kid), or null. */
  readonly publicJwk: JWK | null;
  /** The subject DN its client certificate must carry (tls_client_auth), or null. */
  readonly tlsClientAuthSubjectDn: string | null;
  /** Whether its token requests must carry a DPoP proof. */
  readonly requireDpop: boolean;
  /** null: the auth provider's default (AUTH_TOKEN_TTL_SECONDS). */
  readonly tokenTtlSeconds: number | null;
  /** null: no budget. */
  readonly maxTokensPerMinute: number | null;
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The view of a stored client. */
export function toClientView(record: ClientRecord): ClientView {
  return {
    clientId: record.clientId,
    grants: record.grants,
    authMethods: [
      ...(record.hasSecret ? (["client_secret"] as const) : []),
      ...(record.publicJwk ? (["private_key_jwt"] as const) : []),
      ...(record.tlsClientAuthSubjectDn !== undefined ? (["tls_client_auth"] as const) : []),
    ],
    overlapEndsAt: record.previousSecretValidUntil ?? null,
    publicJwk: record.publicJwk ?? null,
    tlsClientAuthSubjectDn: record.tlsClientAuthSubjectDn ?? null,
    requireDpop: record.requireDpop,
    tokenTtlSeconds: record.tokenTtlSeconds ?? null,
    maxTokensPerMinute: record.maxTokensPerMinute ?? null,
    disabled: record.disabled,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** Grants as typed on the command line, one word per audience: "note-service:note.read,note.write". */
export function formatGrants(grants: readonly Grant[]): string {
  return grants.map((grant) => `${grant.audience}:${grant.scopes.join(",")}`).join(" ");
}
