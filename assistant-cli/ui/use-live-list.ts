/**
 * A list that stays current: it opens the collection's watch stream, loads the
 * full list once the stream is live (so no change falls between the two), then
 * applies each change in place. When the stream fails it reports the error and
 * reconnects with the project's one backoff (common/retry-with-backoff.ts: 1 s,
 * 2 s, 4 s … at most 30 s, each ±20 %), resuming after the last change it
 * applied (since_sequence: the service replays what was missed, on whichever
 * replica answers); only when that history is gone (OUT_OF_RANGE) does it
 * load the whole list again.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { useCallback, useEffect, useRef, useState } from "react";
import { retryWithBackoff } from "../../common/retry-with-backoff.js";
import { cliErrorFromRpc } from "../rpc-errors.js";
import type { Change, Collection, Item } from "./collection.js";
import { applyChange } from "./list-changes.js";
import type { Status } from "./status-line.js";

/** connecting: first attempt; live: watching; reconnecting: waiting to retry after a failure. */
export type Connection = "connecting" | "live" | "reconnecting";

export interface LiveList<T extends Item> {
  items: readonly T[];
  connection: Connection;
  /** Loads the list again; a failure is reported, not thrown. */
  reload(): Promise<void>;
  /** Applies a change made here (the watch stream brings it again; that is harmless). */
  apply(change: Change<T>): void;
}

/** One line for a failed call to the collection's service. */
export function describeError(collection: Collection<Item>, err: unknown): string {
  return cliErrorFromRpc(err, collection.service, collection.url).message;
}

/**
 * Keeps `collection`'s items live while mounted; `report` receives errors and
 * recoveries for the status line. Unmounting aborts the stream and any retry wait.
 */
export function useLiveList<T extends Item>(collection: Collection<T>, report: (status: Status) => void): LiveList<T> {
  const [items, setItems] = useState<readonly T[]>([]);
  const [connection, setConnection] = useState<Connection>("connecting");
  const reportRef = useRef(report);
  reportRef.current = report;

  useEffect(() => {
    const abort = new AbortController();
    void watchForever(collection, abort.signal, {
      replace: setItems,
      apply: (change) => setItems((prev) => applyChange(prev, change, collection.compare)),
      connection: setConnection,
      report: (status) => reportRef.current(status),
    });
    return () => abort.abort();
  }, [collection]);

  const reload = useCallback(async () => {
    try {
      setItems(await collection.list());
      reportRef.current({ tone: "info", text: `reloaded ${collection.title.toLowerCase()}` });
    } catch (err) {
      reportRef.current({ tone: "error", text: describeError(collection, err) });
    }
  }, [collection]);

  const apply = useCallback((change: Change<T>) => setItems((prev) => applyChange(prev, change, collection.compare)), [collection]);

  return { items, connection, reload, apply };
}

interface Sinks<T extends Item> {
  replace(items: T[]): void;
  apply(change: Change<T>): void;
  connection(state: Connection): void;
  report(status: Status): void;
}

// Until `signal` aborts: each attempt opens the watch and runs until the stream fails; a stream that came up
// starts the backoff over.
async function watchForever<T extends Item>(collection: Collection<T>, signal: AbortSignal, sinks: Sinks<T>): Promise<void> {
  let reconnecting = false;
  // The last change applied (or the resume point the stream announced); 0n: none yet, load the whole list.
  let last = 0n;
  await retryWithBackoff(
    async (progress) => {
      try {
        for await (const change of collection.watch(signal, last)) {
          if (change.type !== "started") {
            sinks.apply(change);
            if (change.sequence !== undefined) last = change.sequence;
            continue;
          }
          const resumed = last > 0n;
          if (!resumed) {
            sinks.replace(await collection.list(signal));
            last = change.sequence ?? 0n;
          }
          sinks.connection("live");
          if (reconnecting) sinks.report({ tone: "success", text: `${collection.service} is back; ${resumed ? "missed changes replayed" : `${collection.title.toLowerCase()} reloaded`}` });
          reconnecting = false;
          progress();
        }
      } catch (err) {
        // The changes since `last` are no longer kept: start over with a fresh list.
        if (ConnectError.from(err).code === Code.OutOfRange) last = 0n;
        throw err;
      }
      throw new ConnectError("the watch stream ended", Code.Unavailable);
    },
    {
      signal,
      onFailure(err, delayMs) {
        reconnecting = true;
        sinks.connection("reconnecting");
        sinks.report({ tone: "error", text: `${describeError(collection, err)} (retrying in ${(delayMs / 1000).toFixed(1)} s)` });
      },
    },
  );
}
