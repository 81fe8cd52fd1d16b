/**
 * A service of one resource, defined from its parts: identity, table, field
 * rules and (optionally) its list filter; its proto methods are mapped onto
 * the shared resource methods by name (resource-handlers.ts). This is all a
 * new resource needs besides its proto and its field rules.
 */
import type { DescMessage, DescService, MessageShape } from "@bufbuild/protobuf";
import type { ServiceDefinition } from "../run-service.js";
import type { ServiceIdentity } from "../service-config.js";
import { openResource } from "./open-resource.js";
import { createResourceHandlers, type ListFilter } from "./resource-handlers.js";
import { createResourceMethods, type FieldRules } from "./resource-methods.js";
import { resourceMigrations, type ResourceTable } from "./resource-table.js";

export interface ResourceServiceParts<S extends DescMessage, F, U extends string, Svc extends DescService> extends ServiceIdentity {
  table: ResourceTable<S, F>;
  rules: FieldRules<MessageShape<S>, F, U>;
  service: Svc;
  /** The filter of the List method's request; default none. */
  listFilter?: (request: never) => ListFilter;
}

/** The ServiceDefinition (run-service.ts) of a one-resource service: migrations from its table, handlers by name. */
export function defineResourceService<S extends DescMessage, F, U extends string, Svc extends DescService>(parts: ResourceServiceParts<S, F, U, Svc>): ServiceDefinition {
  const { table, rules, service } = parts;
  return {
    name: parts.name,
    envPrefix: parts.envPrefix,
    defaultPort: parts.defaultPort,
    defaultAudience: parts.defaultAudience,
    migrations: resourceMigrations(table),
    build(database, logger, settings) {
      const data = openResource(database, table, settings.changeLog, logger);
      const handlers = createResourceHandlers(service, createResourceMethods(data, rules), {
        field: rules.field,
        defaultFilterKey: table.name,
        ...(parts.listFilter && { listFilter: parts.listFilter }),
      });
      return {
        services: [service],
        routes: (router) => router.service(service, handlers),
        stopStreams: () => data.feed.close(),
      };
    },
  };
}
