/**
 * The handlers of a resource service, built from its service descriptor: each
 * method is one of the standard ones (AIP-131 to 135: List, Get, Create,
 * Update, Delete, plus Watch) by its name, and its request and response fields
 * follow the usual names (`note`, `notes`, `update_mask`, `etag`,
 * `since_sequence`, …), so no service writes them out again.
 */
import { create, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { ResourceMethods } from "./resource-methods.js";
import type { Condition } from "./resource-store.js";

/** A list's filter: the key its page tokens are bound to and its conditions. */
export interface ListFilter {
  filterKey: string;
  where: Condition[];
}

/** What the handlers need besides the methods: the resource's request field and the list filter. */
export interface ResourceHandlerOptions {
  /** The field that carries one resource in requests and responses: "note". */
  field: string;
  /** The list filter of a List request; default none (the key is `defaultFilterKey`). */
  listFilter?: (request: never) => ListFilter;
  defaultFilterKey: string;
}

// Requests are read by field name; the descriptor guarantees the shapes.
type AnyRequest = Record<string, never>;
type Handler = (request: AnyRequest, ctx: HandlerContext) => unknown;

/**
 * The implementation of `service`.
 * @throws TypeError for a method that is not one of the standard six (a programming error, found at start-up).
 */
export function createResourceHandlers<R, Svc extends DescService>(service: Svc, methods: ResourceMethods<R>, options: ResourceHandlerOptions): ServiceImpl<Svc> {
  const { field } = options;
  const noFilter: ListFilter = { filterKey: options.defaultFilterKey, where: [] };
  const handlers: Record<string, Handler> = {};
  for (const method of service.methods) {
    handlers[method.localName] = handlerFor(method);
  }
  return handlers as unknown as ServiceImpl<Svc>;

  function handlerFor(method: DescMethod): Handler {
    const output: DescMessage = method.output;
    switch (/^(List|Get|Create|Update|Delete|Watch)/.exec(method.name)?.[1]) {
      case "List": {
        const plural = output.fields.find((f) => f.fieldKind === "list")!.localName;
        return async (req) => {
          const { filterKey, where } = options.listFilter ? options.listFilter(req as never) : noFilter;
          const page = await methods.list(req as never, filterKey, where);
          return { [plural]: page.items, nextPageToken: page.nextPageToken };
        };
      }
      case "Get":
        return async (req) => ({ [field]: await methods.get(req["id"]!) });
      case "Create":
        return async (req, ctx) => ({ [field]: await methods.create(req[field], ctx) });
      case "Update":
        return async (req, ctx) => ({ [field]: await methods.update(req[field], req["updateMask"], ctx) });
      case "Delete":
        return async (req, ctx) => {
          await methods.delete(req["id"]!, req["etag"]!, ctx);
          return {};
        };
      case "Watch":
        return (req, ctx) =>
          methods.watch(
            req["sinceSequence"]!,
            ctx,
            (sequence) => create(output, { changeType: 1, sequence: BigInt(sequence) } as never),
            (change) => create(output, { changeType: change.type, [field]: change.resource, changedBy: change.changedBy, sequence: BigInt(change.sequence) } as never),
          );
      default:
        throw new TypeError(`${service.typeName}.${method.name} is not a standard resource method (List, Get, Create, Update, Delete, Watch)`);
    }
  }
}
