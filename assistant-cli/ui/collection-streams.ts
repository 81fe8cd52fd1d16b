/**
 * What the events and notes collections read the same way: every page of a
 * list, and a watch stream reduced to list changes (with their sequence, so a
 * reconnect can resume after the last one).
 */
import type { Change, Item } from "./collection.js";

/** Every item of a list, page after page until the last. */
export async function allPages<T>(fetchPage: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>): Promise<T[]> {
  const items: T[] = [];
  let pageToken = "";
  do {
    const page = await fetchPage(pageToken);
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return items;
}

/** The fields of a watch message read here (both services' ChangeType: 1 started, 4 deleted). */
interface WatchMessage {
  changeType: number;
  sequence: bigint;
}

/** A watch stream as list changes; `itemOf` picks the resource out of a message (messages without one are skipped). */
export async function* listChanges<T extends Item, M extends WatchMessage>(messages: AsyncIterable<M>, itemOf: (message: M) => T | undefined): AsyncGenerator<Change<T>> {
  for await (const message of messages) {
    const { sequence } = message;
    const item = itemOf(message);
    if (message.changeType === 1) yield { type: "started", sequence };
    else if (item === undefined) continue;
    else if (message.changeType === 4) yield { type: "deleted", item, sequence };
    else yield { type: "upsert", item, sequence };
  }
}
