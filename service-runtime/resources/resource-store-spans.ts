/**
 * The resource store with a storage span per call (list, get, insert, update,
 * delete, and the change-log reads of watches), named after the resource's
 * table, e.g. notes.list. Only while tracing is on: otherwise the store is
 * used as it is.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { withStorageSpans, type DbSystem } from "../../common/storage-spans.js";
import { tracingEnabled } from "../../common/tracing.js";
import type { ResourceStore } from "./resource-store.js";

/** store itself when tracing is off; else a store whose every call is a child span of the call that made it. */
export function traceResourceStore<S extends DescMessage, F>(store: ResourceStore<S, F>, table: string, system: DbSystem): ResourceStore<S, F> {
  if (!tracingEnabled()) return store;
  return withStorageSpans(store, system, table, ["list", "get", "insert", "update", "delete", "latestSequence", "changesAfter"]);
}
