/**
 * The get/create/update/delete/list/watch plumbing every resource shares:
 * validation hooks, not-found and etag answers, page tokens bound to the
 * filter, field masks, the caller's client id on writes, and watches with
 * replay. A service maps its proto methods onto these in a few lines.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { FieldMask } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { requirePrincipal } from "../../interceptor/connect-auth-interceptor.js";
import type { ChangeFeed } from "../change-feed.js";
import { invalidArgument, requireId } from "../field-validation.js";
import { decodePageToken, encodePageToken, resolvePageSize } from "../pagination.js";
import { resolveUpdatePaths } from "../update-mask.js";
import { watchChanges } from "../watch-stream.js";
import type { Condition, ResourceChange, ResourceStore } from "./resource-store.js";
import type { ResourceTable } from "./resource-table.js";

/** The fields every resource message has that this code reads. */
type Identified = { id: string; etag: string };

/** A resource's own rules: which fields a client may set, and how they are checked. */
export interface FieldRules<R, F, U extends string> {
  /** The request field that carries the resource: "note". */
  field: string;
  /** Checks a complete resource sent to create; failures are INVALID_ARGUMENT naming the field. */
  check(prefix: string, resource: R): F;
  /** The fields an update mask may name. */
  updatable: readonly U[];
  /** The updatable fields that hold a value (an update without a mask changes those). */
  setFields(resource: R): U[];
  /** `current` with the masked fields from `patch`, checked as a whole. */
  merge(current: R, patch: R, paths: ReadonlySet<U>): F;
}

/** Where a resource's methods find their data: the store, the live feed, and whether live delivery works now. */
export interface ResourceData<S extends DescMessage, F> {
  table: ResourceTable<S, F>;
  store: ResourceStore<S, F>;
  feed: ChangeFeed<ResourceChange<MessageShape<S>>>;
  unavailable(): ConnectError | undefined;
}

export interface ResourceMethods<R> {
  /** One page; `filterKey` names the filter the token is bound to, `where` its conditions. */
  list(req: { pageSize: number; pageToken: string }, filterKey: string, where?: readonly Condition[]): Promise<{ items: R[]; nextPageToken: string }>;
  get(id: string): Promise<R>;
  create(resource: R | undefined, ctx: HandlerContext): Promise<R>;
  update(patch: R | undefined, mask: FieldMask | undefined, ctx: HandlerContext): Promise<R>;
  delete(id: string, etag: string, ctx: HandlerContext): Promise<void>;
  /** "Watch started" (with the sequence to resume from), then changes; see watch-stream.ts. */
  watch<M>(since: bigint, ctx: HandlerContext, started: (sequence: number) => M, toMessage: (change: ResourceChange<R>) => M): AsyncGenerator<M>;
}

/** Changes read from the log per query while a watch replays. */
const replayBatch = 500;

/** The shared methods of one resource over `data`, checked by the resource's `rules`. */
export function createResourceMethods<S extends DescMessage, F, U extends string>(data: ResourceData<S, F>, rules: FieldRules<MessageShape<S>, F, U>): ResourceMethods<MessageShape<S>> {
  type R = MessageShape<S>;
  const { table, store, feed } = data;
  const cursorShape = table.listIndex.columns.map((c) => (c === "id" ? "string" : "number") as "string" | "number");
  const notFound = (id: string) => new ConnectError(`${table.noun} "${id}" not found`, Code.NotFound);
  const history = {
    latest: () => store.latestSequence(),
    after: (sequence: number) => store.changesAfter(sequence, replayBatch),
    unavailable: data.unavailable,
  };

  return {
    async list(req, filterKey, where = []) {
      const limit = resolvePageSize(req.pageSize);
      const after = decodePageToken(req.pageToken, filterKey, cursorShape);
      const conditions = after ? [...where, { columns: table.listIndex.columns, op: ">" as const, values: after }] : where;
      const { items, hasMore } = await store.list({ limit, where: conditions });
      const last = items.at(-1);
      return { items, nextPageToken: hasMore && last ? encodePageToken(table.cursorOf(last), filterKey) : "" };
    },
    async get(id) {
      const resource = await store.get(requireId("id", id));
      if (!resource) throw notFound(id);
      return resource;
    },
    async create(resource, ctx) {
      const principal = requirePrincipal(ctx);
      if (!resource) throw invalidArgument(rules.field, "is required");
      return store.insert(rules.check(rules.field, resource), principal.clientId);
    },
    async update(patch, mask, ctx) {
      const principal = requirePrincipal(ctx);
      if (!patch) throw invalidArgument(rules.field, "is required");
      const { id, etag } = patch as R & Identified;
      requireId(`${rules.field}.id`, id);
      const paths = resolveUpdatePaths(mask, rules.updatable, rules.setFields(patch));
      const updated = await store.update(id, (current) => rules.merge(current, patch, paths), principal.clientId, etag);
      if (!updated) throw notFound(id);
      return updated;
    },
    async delete(id, etag, ctx) {
      const principal = requirePrincipal(ctx);
      const deleted = await store.delete(requireId("id", id), principal.clientId, etag);
      if (!deleted) throw notFound(id);
    },
    async *watch(since, ctx, started, toMessage) {
      if (since < 0n) throw invalidArgument("since_sequence", "must not be negative");
      yield* watchChanges(feed, history, Number(since), ctx, requirePrincipal(ctx), started, toMessage);
    },
  };
}
