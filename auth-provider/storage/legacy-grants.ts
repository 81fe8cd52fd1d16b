/**
 * Clients stored before grants existed (schema version 1) kept a scope list
 * and an audience list, independent of each other. When a store opens, each
 * such row gets the grants those lists imply under the scope catalog
 * (grantsFromLegacyLists: an audience gets only the listed scopes it defines),
 * once: the conversion writes only where grants is still NULL, so replicas
 * opening together convert (and log) each client once between them.
 */
import type { Logger } from "../../common/json-logger.js";
import type { Grant } from "../clients/client-record.js";
import { grantPairs, grantsFromLegacyLists } from "../clients/grants.js";
import type { ScopeCatalog } from "../policy/scope-catalog.js";

/** A row of version 1 not converted yet. */
export interface LegacyClientRow {
  client_id: string;
  legacy_scopes: string | null;
  legacy_audiences: string | null;
}

/** The grants a version 1 client gets (possibly none, when no listed scope belongs to a listed audience). */
export function legacyGrantsOf(row: LegacyClientRow, catalog: ScopeCatalog): Grant[] {
  return grantsFromLegacyLists(splitList(row.legacy_scopes ?? ""), splitList(row.legacy_audiences ?? ""), (audience) => catalog.find(audience)?.scopes, catalog.allScopes);
}

/** Logs one conversion: info with the grants, or a warning when the lists imply none (the client can then request nothing). */
export function logLegacyConversion(logger: Logger, row: LegacyClientRow, grants: readonly Grant[]): void {
  const fields = { client_id: row.client_id, scopes: row.legacy_scopes, audiences: row.legacy_audiences, grants: grantPairs(grants) };
  if (grants.length > 0) logger.info("converted a client's scope and audience lists to grants", fields);
  else logger.warn("a client's scope and audience lists imply no grant: it can request no token until `auth-admin client update` grants some", fields);
}

/** A stored space-delimited list as an array. */
export function splitList(value: string): string[] {
  return value.split(" ").filter((item) => item !== "");
}
