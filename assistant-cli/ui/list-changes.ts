/**
 * Applying watch changes to a sorted list in place, and keeping the selection
 * on the same item while the list changes under it.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Change, Item } from "./collection.js";

/**
 * `items` with `change` applied, still sorted by `compare`. An upsert older than
 * the copy already held (by update time) is ignored, so replaying changes that a
 * fresh list already contains never moves an item back in time; a delete of an
 * unknown id is a no-op. Returns `items` itself when nothing changes.
 */
export function applyChange<T extends Item>(items: readonly T[], change: Change<T>, compare: (a: T, b: T) => number): readonly T[] {
  if (change.type === "started") return items;
  const at = items.findIndex((i) => i.id === change.item.id);
  if (change.type === "deleted") return at < 0 ? items : items.filter((_, n) => n !== at);
  const held = items[at];
  if (held && isOlder(change.item, held)) return items;
  const rest = at < 0 ? [...items] : items.filter((_, n) => n !== at);
  return insertSorted(rest, change.item, compare);
}

function isOlder(incoming: Item, held: Item): boolean {
  if (!incoming.updateTime || !held.updateTime) return false;
  return timestampMs(incoming.updateTime) < timestampMs(held.updateTime);
}

function insertSorted<T>(items: T[], item: T, compare: (a: T, b: T) => number): T[] {
  let at = items.findIndex((other) => compare(item, other) < 0);
  if (at < 0) at = items.length;
  items.splice(at, 0, item);
  return items;
}

/**
 * The index to select: where `selectedId` is now, else (it was deleted) the
 * row at `previousIndex`, clamped to the list; 0 for an empty list.
 */
export function selectionIndex(items: readonly Item[], selectedId: string | undefined, previousIndex: number): number {
  const found = selectedId === undefined ? -1 : items.findIndex((i) => i.id === selectedId);
  if (found >= 0) return found;
  return Math.max(0, Math.min(previousIndex, items.length - 1));
}

/** The first row of a window of `height` rows that shows `selected`, moving as little as possible from `top`. */
export function scrollTop(selected: number, top: number, height: number, total: number): number {
  if (total <= height) return 0;
  let next = Math.min(top, total - height);
  if (selected < next) next = selected;
  if (selected >= next + height) next = selected - height + 1;
  return Math.max(0, next);
}
