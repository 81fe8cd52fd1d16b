import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Item } from "./collection.js";
import { applyChange, scrollTop, selectionIndex } from "./list-changes.js";
import { escapeLines, firstLine, unescapeLines } from "./text-lines.js";
import { isoLocal } from "../local-time.js";
import { parseTimeInput } from "../time-input.js";

function item(id: string, order: number, updated = 0): Item & { order: number } {
  return { id, title: id, description: "", createdBy: "c", updatedBy: "c", order, updateTime: timestampFromMs(updated) };
}
const byOrder = (a: { order: number; id: string }, b: { order: number; id: string }) => a.order - b.order || a.id.localeCompare(b.id);

describe("applyChange", () => {
  const list = [item("a", 1), item("b", 2), item("c", 3)];
  test("inserts a created item in order", () => {
    assert.deepEqual(applyChange(list, { type: "upsert", item: item("x", 2.5) }, byOrder).map((i) => i.id), ["a", "b", "x", "c"]);
  });
  test("moves an updated item to its new place", () => {
    assert.deepEqual(applyChange(list, { type: "upsert", item: item("a", 4, 1) }, byOrder).map((i) => i.id), ["b", "c", "a"]);
  });
  test("ignores an update older than the copy held", () => {
    const newer = [item("a", 1, 10)];
    assert.equal(applyChange(newer, { type: "upsert", item: item("a", 5, 5) }, byOrder), newer);
  });
  test("removes a deleted item; an unknown id is a no-op", () => {
    assert.deepEqual(applyChange(list, { type: "deleted", item: item("b", 2) }, byOrder).map((i) => i.id), ["a", "c"]);
    assert.equal(applyChange(list, { type: "deleted", item: item("zz", 2) }, byOrder), list);
  });
});

describe("selection and scrolling", () => {
  const list = [item("a", 1), item("b", 2), item("c", 3)];
  test("follows the id, else keeps the row position", () => {
    assert.equal(selectionIndex(list, "c", 0), 2);
    assert.equal(selectionIndex(list, "gone", 1), 1);
    assert.equal(selectionIndex(list, "gone", 9), 2);
    assert.equal(selectionIndex([], "gone", 3), 0);
  });
  test("scrolls only as far as needed", () => {
    assert.equal(scrollTop(0, 0, 5, 3), 0);
    assert.equal(scrollTop(7, 0, 5, 20), 3);
    assert.equal(scrollTop(4, 3, 5, 20), 3);
    assert.equal(scrollTop(2, 3, 5, 20), 2);
    assert.equal(scrollTop(19, 18, 5, 20), 15);
  });
});

describe("text and time helpers", () => {
  test("first line and escaped lines round-trip", () => {
    assert.equal(firstLine("\n  milk \neggs"), "milk");
    for (const text of ["a\nb", "back\\slash\\n", "", "x\r\ny"]) {
      assert.equal(unescapeLines(escapeLines(text)), text.replace(/\r\n/g, "\n"));
    }
    assert.equal(escapeLines("a\nb"), "a\\nb");
  });
  test("isoLocal parses back to the same instant", () => {
    for (const ms of [Date.UTC(2030, 0, 31, 9, 0), Date.UTC(2030, 0, 31, 9, 0, 7), Date.UTC(2030, 0, 31, 9, 0, 7, 250)]) {
      const text = isoLocal(timestampFromMs(ms));
      assert.equal(parseTimeInput("start", text).getTime(), ms, text);
    }
  });
});
