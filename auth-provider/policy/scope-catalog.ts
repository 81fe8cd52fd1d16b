/**
 * Which scopes each audience defines, so the auth provider never grants a scope
 * no service knows. Derived from the same contract the services enforce: the
 * `(m2m.auth.v1.access)` options of the generated service descriptors (the
 * calendar under CALENDAR_AUDIENCE, the notes under NOTES_AUDIENCE, as the
 * services read them), plus audiences configured with AUTH_EXTRA_AUDIENCES
 * for services this repository does not contain:
 *   AUTH_EXTRA_AUDIENCES="billing-service=billing.read billing.write;reports=reports.read"
 */
import type { DescService } from "@bufbuild/protobuf";
import { ConfigError } from "../../common/env.js";
import { CalendarService } from "../../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../../gen/m2m/notes/v1/notes_pb.js";
import { accessRequirementOf } from "../../interceptor/access-rule.js";

type Env = Readonly<Record<string, string | undefined>>;

/** One RPC and what it requires, as declared in the proto. */
export interface CatalogMethod {
  /** "package.Service/Method". */
  readonly name: string;
  /** Empty for a public method. */
  readonly requiredScopes: readonly string[];
  readonly public: boolean;
}

/** An audience and the scopes it defines. */
export interface CatalogAudience {
  readonly audience: string;
  /** Sorted. */
  readonly scopes: readonly string[];
  /** "proto": read from service descriptors (methods known); "configured": AUTH_EXTRA_AUDIENCES (methods unknown). */
  readonly source: "proto" | "configured";
  /** The RPCs of its services (empty for a configured audience). */
  readonly methods: readonly CatalogMethod[];
}

export interface ScopeCatalog {
  /** Every audience, sorted. */
  readonly audiences: readonly CatalogAudience[];
  /** The audience's entry, or undefined for an audience nobody defines. */
  find(audience: string): CatalogAudience | undefined;
  /** Every scope some audience defines. */
  readonly allScopes: ReadonlySet<string>;
}

/** The services of this repository and the setting (and default) that names each one's audience. */
export const protoAudiences: readonly { variable: string; defaultAudience: string; services: readonly DescService[] }[] = [
  { variable: "CALENDAR_AUDIENCE", defaultAudience: "calendar-service", services: [CalendarService] },
  { variable: "NOTES_AUDIENCE", defaultAudience: "note-service", services: [NoteService] },
];

/** The extra audiences setting. */
export const extraAudiencesVariable = "AUTH_EXTRA_AUDIENCES";

const token = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Builds the catalog from descriptors; `extra` adds configured audiences (their scopes merge with proto ones). */
export function createScopeCatalog(
  fromProto: readonly { audience: string; services: readonly DescService[] }[],
  extra: readonly { audience: string; scopes: readonly string[] }[] = [],
): ScopeCatalog {
  const entries = new Map<string, { scopes: Set<string>; methods: CatalogMethod[]; source: "proto" | "configured" }>();
  for (const { audience, services } of fromProto) {
    const entry = entries.get(audience) ?? { scopes: new Set(), methods: [], source: "proto" as const };
    for (const service of services) {
      for (const method of service.methods) {
        const requirement = accessRequirementOf(method);
        const requiredScopes = requirement.kind === "scopes" ? requirement.requiredScopes : [];
        for (const scope of requiredScopes) entry.scopes.add(scope);
        entry.methods.push({ name: `${service.typeName}/${method.name}`, requiredScopes, public: requirement.kind === "public" });
      }
    }
    entries.set(audience, entry);
  }
  for (const { audience, scopes } of extra) {
    const entry = entries.get(audience) ?? { scopes: new Set(), methods: [], source: "configured" as const };
    for (const scope of scopes) entry.scopes.add(scope);
    entries.set(audience, entry);
  }
  const audiences = [...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([audience, entry]): CatalogAudience => ({ audience, scopes: [...entry.scopes].sort(), source: entry.source, methods: entry.methods }));
  const byAudience = new Map(audiences.map((entry) => [entry.audience, entry]));
  return {
    audiences,
    find: (audience) => byAudience.get(audience),
    allScopes: new Set(audiences.flatMap((entry) => entry.scopes)),
  };
}

/**
 * The catalog for this environment: the repository's services under their configured audiences, plus
 * AUTH_EXTRA_AUDIENCES. @throws ConfigError naming the setting when a value is malformed.
 */
export function loadScopeCatalog(env: Env): ScopeCatalog {
  const fromProto = protoAudiences.map(({ variable, defaultAudience, services }) => {
    const audience = env[variable]?.trim() || defaultAudience;
    if (!token.test(audience)) throw new ConfigError(variable, `must be one audience without spaces, quotes or backslashes`);
    return { audience, services };
  });
  return createScopeCatalog(fromProto, parseExtraAudiences(env[extraAudiencesVariable]));
}

/** Parses "aud=scope scope;aud2=scope" (empty or unset: none). @throws ConfigError. */
export function parseExtraAudiences(value: string | undefined): { audience: string; scopes: string[] }[] {
  if (value === undefined || value.trim() === "") return [];
  return value
    .split(";")
    .filter((part) => part.trim() !== "")
    .map((part) => {
      const eq = part.indexOf("=");
      const audience = (eq < 0 ? part : part.slice(0, eq)).trim();
      const scopes = eq < 0 ? [] : part.slice(eq + 1).split(/[ \t,]+/).filter((s) => s !== "");
      if (!token.test(audience) || scopes.length === 0 || !scopes.every((s) => token.test(s))) {
        throw new ConfigError(
          extraAudiencesVariable,
          `must look like "billing-service=billing.read billing.write;reports=reports.read" (got ${JSON.stringify(part.trim().slice(0, 80))})`,
        );
      }
      return { audience, scopes };
    });
}
