/**
 * Grants: scopes per audience. Helpers to normalise them, read them, and to
 * derive the grants of a client stored before grants existed (separate scope
 * and audience lists) from the scopes each audience defines.
 */
import type { ClientRecord, Grant } from "./client-record.js";

/** One entry per audience (scopes merged), audiences and scopes sorted, empty scope lists dropped. */
export function normalizeGrants(grants: readonly Grant[]): Grant[] {
  const byAudience = new Map<string, Set<string>>();
  for (const grant of grants) {
    const scopes = byAudience.get(grant.audience) ?? new Set<string>();
    for (const scope of grant.scopes) scopes.add(scope);
    byAudience.set(grant.audience, scopes);
  }
  return [...byAudience]
    .filter(([, scopes]) => scopes.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([audience, scopes]) => ({ audience, scopes: [...scopes].sort() }));
}

/** The scopes granted to the client for audience, or undefined when the audience is not granted at all. */
export function scopesGrantedFor(client: Pick<ClientRecord, "grants">, audience: string): readonly string[] | undefined {
  return client.grants.find((grant) => grant.audience === audience)?.scopes;
}

/** Every audience the client may request, sorted. */
export function grantedAudiences(client: Pick<ClientRecord, "grants">): string[] {
  return client.grants.map((grant) => grant.audience);
}

/** "aud:scope" for each pair, for messages and listings. */
export function grantPairs(grants: readonly Grant[]): string[] {
  return grants.flatMap((grant) => grant.scopes.map((scope) => `${grant.audience}:${scope}`));
}

/**
 * The grants a client stored with independent scope and audience lists gets. Each audience the catalog knows gets
 * the listed scopes it defines; an audience it does not know gets the listed scopes that no known audience defines.
 * So `calendar.read note.write` for `calendar-service note-service` becomes calendar-service:calendar.read and
 * note-service:note.write, never calendar-service:note.write.
 */
export function grantsFromLegacyLists(
  scopes: readonly string[],
  audiences: readonly string[],
  scopesOfAudience: (audience: string) => readonly string[] | undefined,
  allKnownScopes: ReadonlySet<string>,
): Grant[] {
  return normalizeGrants(
    audiences.map((audience) => {
      const defined = scopesOfAudience(audience);
      return {
        audience,
        scopes: scopes.filter((scope) => (defined === undefined ? !allKnownScopes.has(scope) : defined.includes(scope))),
      };
    }),
  );
}
