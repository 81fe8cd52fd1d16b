/**
 * A list that stays current: it opens the collection's watch stream, loads the
 * full list once the stream is live (so no change falls between the two), then
 * applies each change in place. When the stream fails it reports the error and
 * reconnects with backoff, reloading the list each time.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { useCallback, useEffect, useRef, useState } from "react";
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

/** Delay before reconnect attempt `attempt` (0-based): 1 s, 2 s, 4 s … at most 30 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** attempt);
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

async function watchForever<T extends Item>(collection: Collection<T>, signal: AbortSignal, sinks: Sinks<T>): Promise<void> {
  let attempt = 0;
  while (!signal.aborted) {
    try {
      for await (const change of collection.watch(signal)) {
        if (change.type !== "started") {
          sinks.apply(change);
          continue;
        }
        sinks.replace(await collection.list(signal));
        sinks.connection("live");
        if (attempt > 0) sinks.report({ tone: "success", text: `${collection.service} is back; ${collection.title.toLowerCase()} reloaded` });
        attempt = 0;
      }
      throw new ConnectError("the watch stream ended", Code.Unavailable);
    } catch (err) {
      if (signal.aborted) return;
      const delay = reconnectDelay(attempt++);
      sinks.connection("reconnecting");
      sinks.report({ tone: "error", text: `${describeError(collection, err)} (retrying in ${delay / 1000} s)` });
      await sleep(delay, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
