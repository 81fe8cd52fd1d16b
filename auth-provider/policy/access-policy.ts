/**
 * Who may call what: the clients' grants joined with the methods' access
 * options from the proto (the scope catalog), both sides from one contract.
 * A method is callable by a client when the client's grant for the method's
 * audience holds every scope the method requires, as the interceptor decides
 * it; public methods need no token and are not listed per client.
 *
 * It also finds what CI should refuse: a grant no RPC needs (a scope no method
 * of a proto audience requires, or an audience the catalog does not know) and
 * an RPC no enabled client can call. Audiences configured with
 * AUTH_EXTRA_AUDIENCES have no known RPCs here: their grants are listed, never
 * flagged. Pure: no store, no clock.
 */
import type { ClientRecord } from "../clients/client-record.js";
import type { CatalogAudience, CatalogMethod, ScopeCatalog } from "./scope-catalog.js";

/** What the report needs of a client. */
export type PolicyClient = Pick<ClientRecord, "clientId" | "grants" | "disabled">;

/** One granted audience of a client and what the grant lets it call there. */
export interface AudienceAccess {
  readonly audience: string;
  readonly grantedScopes: readonly string[];
  /** proto: RPCs known; configured: AUTH_EXTRA_AUDIENCES (RPCs not known here); unknown: not in the catalog. */
  readonly source: CatalogAudience["source"] | "unknown";
  /** The non-public RPCs the grant allows ("package.Service/Method"); empty unless source is proto. */
  readonly callableMethods: readonly string[];
}

/** A client's access. A disabled client calls nothing: the lists say what its grants would allow. */
export interface ClientAccess {
  readonly clientId: string;
  readonly disabled: boolean;
  readonly audiences: readonly AudienceAccess[];
}

/** A method of a proto audience and the enabled clients that can call it. */
export interface MethodAccess {
  readonly name: string;
  readonly public: boolean;
  readonly requiredScopes: readonly string[];
  /** Enabled clients that can call it, sorted; empty for public methods (anyone can). */
  readonly callers: readonly string[];
}

/** An audience of the catalog with its methods (none for configured audiences). */
export interface AudiencePolicy {
  readonly audience: string;
  readonly source: CatalogAudience["source"];
  readonly scopes: readonly string[];
  readonly methods: readonly MethodAccess[];
}

/** Something `policy --check` fails on, with a sentence for people. */
export type PolicyProblem =
  | { readonly kind: "unused-grant"; readonly clientId: string; readonly audience: string; readonly scope: string; readonly message: string }
  | { readonly kind: "uncallable-method"; readonly audience: string; readonly method: string; readonly requiredScopes: readonly string[]; readonly message: string };

/** The whole report. */
export interface AccessPolicyReport {
  readonly audiences: readonly AudiencePolicy[];
  readonly clients: readonly ClientAccess[];
  /** Unused grants (by client, audience, scope), then uncallable methods (by audience, method). */
  readonly problems: readonly PolicyProblem[];
}

/** Joins the clients' grants with the catalog; clients in the order given. */
export function buildAccessPolicyReport(catalog: ScopeCatalog, clients: readonly PolicyClient[]): AccessPolicyReport {
  const problems: PolicyProblem[] = [];
  const clientAccess = clients.map((client): ClientAccess => ({
    clientId: client.clientId,
    disabled: client.disabled,
    audiences: client.grants.map((grant) => {
      const entry = catalog.find(grant.audience);
      problems.push(...unusedGrants(client, grant.audience, grant.scopes, entry));
      return {
        audience: grant.audience,
        grantedScopes: grant.scopes,
        source: entry?.source ?? "unknown",
        callableMethods: entry?.source === "proto" ? entry.methods.filter((m) => !m.public && allows(grant.scopes, m)).map((m) => m.name) : [],
      };
    }),
  }));

  const audiences = catalog.audiences.map((entry): AudiencePolicy => {
    const methods = entry.source !== "proto" ? [] : entry.methods.map((method) => methodAccess(entry.audience, method, clientAccess));
    for (const method of methods) {
      if (method.public || method.callers.length > 0) continue;
      const needs = method.requiredScopes.length === 0 ? "declares no (m2m.auth.v1.access) option, so every caller is refused" : `needs ${entry.audience}:${method.requiredScopes.join(",")}`;
      problems.push({
        kind: "uncallable-method",
        audience: entry.audience,
        method: method.name,
        requiredScopes: method.requiredScopes,
        message: `no enabled client can call ${method.name} (${needs})`,
      });
    }
    return { audience: entry.audience, source: entry.source, scopes: entry.scopes, methods };
  });
  return { audiences, clients: clientAccess, problems };
}

// A grant allows a method when it holds every scope the method requires. A non-public method that requires nothing
// has no access option: the interceptor refuses it to everyone (deny by default).
function allows(grantedScopes: readonly string[], method: CatalogMethod): boolean {
  return method.requiredScopes.length > 0 && method.requiredScopes.every((scope) => grantedScopes.includes(scope));
}

function methodAccess(audience: string, method: CatalogMethod, clients: readonly ClientAccess[]): MethodAccess {
  const callers = method.public
    ? []
    : clients.filter((c) => !c.disabled && c.audiences.some((a) => a.audience === audience && a.callableMethods.includes(method.name))).map((c) => c.clientId);
  return { name: method.name, public: method.public, requiredScopes: method.requiredScopes, callers: callers.sort() };
}

// Granted scopes no method of a proto audience requires; every scope of an audience the catalog does not know.
function unusedGrants(client: PolicyClient, audience: string, scopes: readonly string[], entry: CatalogAudience | undefined): PolicyProblem[] {
  if (entry?.source === "configured") return [];
  const needed = new Set(entry?.methods.flatMap((m) => m.requiredScopes) ?? []);
  const why = (scope: string) =>
    entry === undefined ? `the audience ${audience} is not in the catalog (not a service here, nor in AUTH_EXTRA_AUDIENCES)` : `no RPC of ${audience} requires ${scope}`;
  return scopes
    .filter((scope) => !needed.has(scope))
    .map((scope) => ({
      kind: "unused-grant" as const,
      clientId: client.clientId,
      audience,
      scope,
      message: `client ${client.clientId} holds the grant ${audience}:${scope}, which no RPC needs: ${why(scope)}`,
    }));
}
