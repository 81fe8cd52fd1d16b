/**
 * Live changes across replicas on PostgreSQL: one connection per process that
 * LISTENs on the change channel. A notification says only "<resource
 * type>:<sequence>"; the listener then reads every change after the last one
 * it delivered from the change log, in sequence order (which is commit order,
 * see postgres-resource-store.ts), and publishes them to the resource's
 * in-process feed. So a change committed on any replica reaches every watcher
 * of every replica, in order and exactly once.
 *
 * When the notification connection breaks, every watcher of this process is
 * ended with UNAVAILABLE (it resumes elsewhere, or here, with since_sequence:
 * nothing is missed), new watches are refused until it is back, and the
 * listener reconnects with backoff and jitter, on its own.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import type { PostgresLocation } from "../../common/database/database-url.js";
import { postgresErrorText } from "../../common/database/postgres-pool.js";
import type { Logger } from "../../common/json-logger.js";
import { retryWithBackoff } from "../../common/retry-with-backoff.js";
import type { ChangeFeed } from "../change-feed.js";
import { changeChannel } from "./postgres-resource-store.js";

/** Where the listener reads a resource type's changes (its store). */
export interface ChangeSource<C extends { sequence: number }> {
  latestSequence(): Promise<number>;
  /** Up to `limit` changes after `sequence`, oldest first; OUT_OF_RANGE when they are no longer kept. */
  changesAfter(sequence: number, limit: number): Promise<C[]>;
}

export interface ChangeListener {
  /** Publishes every committed change of `resourceType` to `feed`, from when the listener is (re)connected. */
  follow<C extends { sequence: number }>(resourceType: string, source: ChangeSource<C>, feed: ChangeFeed<C>): void;
  /** Starts listening (resolves once the first connection is up, or rejects with its error). */
  start(): Promise<void>;
  /** Whether notifications arrive now; undefined when they do, else why not (UNAVAILABLE). */
  unavailable(): ConnectError | undefined;
  close(): Promise<void>;
}

interface Followed {
  latestSequence(): Promise<number>;
  /** Publishes up to a batch of changes after `last`; the sequence of the last one, or undefined when none. */
  publishAfter(last: number): Promise<number | undefined>;
  interrupt(error: ConnectError): void;
  /** The last sequence published. */
  last: number;
  draining: Promise<void> | undefined;
  again: boolean;
}

const batch = 500;

export interface ChangeListenerOptions {
  location: PostgresLocation;
  applicationName: string;
  logger: Logger;
}

/** A listener on its own connection (not the pool's); `start` it once every resource is followed. */
export function createChangeListener(options: ChangeListenerOptions): ChangeListener {
  const { logger } = options;
  const followed = new Map<string, Followed>();
  const stop = new AbortController();
  let client: pg.Client | undefined;
  let down: ConnectError | undefined = new ConnectError("the change notifications are not connected yet; retry shortly", Code.Unavailable);

  const drain = (resourceType: string, f: Followed): Promise<void> => {
    if (f.draining) {
      f.again = true;
      return f.draining;
    }
    f.draining = (async () => {
      do {
        f.again = false;
        for (;;) {
          let last: number | undefined;
          try {
            last = await f.publishAfter(f.last);
          } catch (err) {
            if (ConnectError.from(err).code !== Code.OutOfRange) throw err;
            // Fell behind further than the log keeps (a long stall): watchers cannot be served gap-free from here.
            f.interrupt(new ConnectError(`this replica fell behind the changes to ${resourceType}; watch again with since_sequence`, Code.Unavailable));
            f.last = await f.latestSequence();
            break;
          }
          if (last === undefined) break;
          f.last = last;
        }
      } while (f.again);
    })()
      .catch((err) => {
        logger.warn("cannot read the change log; watchers reconnect", { resource_type: resourceType, error: postgresErrorText(err) });
        f.interrupt(new ConnectError(`cannot read the changes to ${resourceType} (${postgresErrorText(err)}); watch again with since_sequence`, Code.Unavailable));
        client?.end().catch(() => {}); // reconnecting re-reads the baseline
      })
      .finally(() => (f.draining = undefined));
    return f.draining;
  };

  // One connection's life: connect, LISTEN, take each resource type's baseline, then wait until it breaks.
  const connectOnce = async (progress: () => void): Promise<void> => {
    const connection = new pg.Client({ connectionString: options.location.url, application_name: options.applicationName, keepAlive: true, connectionTimeoutMillis: 5_000 });
    const ended = new Promise<Error>((resolve) => {
      connection.on("error", (err) => resolve(err));
      connection.on("end", () => resolve(new Error("the connection ended")));
    });
    try {
      await connection.connect();
      await connection.query(`LISTEN ${changeChannel}`);
      // After LISTEN, so a change committed from here on is both notified and after the baseline.
      for (const f of followed.values()) f.last = await f.latestSequence();
    } catch (err) {
      await connection.end().catch(() => {});
      throw err;
    }
    connection.on("notification", (message) => {
      const [resourceType, sequence] = (message.payload ?? "").split(":");
      const f = followed.get(resourceType ?? "");
      if (f && Number(sequence) > f.last) void drain(resourceType!, f);
    });
    client = connection;
    if (down) logger.info("listening for changes", { channel: changeChannel });
    down = undefined;
    progress();
    const err = await ended;
    client = undefined;
    connection.removeAllListeners("notification");
    await connection.end().catch(() => {});
    if (stop.signal.aborted) return;
    down = new ConnectError(`this replica lost its database notification connection (${postgresErrorText(err)}); watch again with since_sequence`, Code.Unavailable);
    for (const f of followed.values()) f.interrupt(down);
    throw err;
  };

  let first: Promise<void> | undefined;
  return {
    follow(resourceType, source, feed) {
      followed.set(resourceType, {
        latestSequence: () => source.latestSequence(),
        async publishAfter(last) {
          const changes = await source.changesAfter(last, batch);
          for (const change of changes) feed.publish(change);
          return changes.at(-1)?.sequence;
        },
        interrupt: (error) => feed.interrupt(error),
        last: 0,
        draining: undefined,
        again: false,
      });
    },
    start() {
      first ??= new Promise<void>((resolve, reject) => {
        let started = false;
        void retryWithBackoff(
          (progress) =>
            connectOnce(() => {
              started = true;
              resolve();
              progress();
            }),
          {
            signal: stop.signal,
            firstDelayMs: 250,
            maxDelayMs: 5_000,
            onFailure(err, delayMs) {
              if (!started) {
                stop.abort();
                reject(err);
                return;
              }
              logger.warn("change notifications lost; reconnecting", { error: postgresErrorText(err), retry_in_ms: delayMs });
            },
          },
        );
      });
      return first;
    },
    unavailable: () => down,
    async close() {
      stop.abort();
      await client?.end().catch(() => {});
    },
  };
}
