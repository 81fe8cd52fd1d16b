import assert from "node:assert/strict";
import { test } from "node:test";
import { createContextKey } from "@connectrpc/connect";
import { createCallValues } from "./call-values.js";

test("call values: a key never set reads as its default; set, overwrite, delete; one call's values are its own", () => {
  const count = createContextKey(1, { description: "count" });
  const name = createContextKey<string | undefined>(undefined);
  const values = createCallValues();
  assert.equal(values.get(count), 1);
  assert.equal(values.get(name), undefined);
  assert.equal(values.set(count, 2).set(name, "a"), values, "set returns the values, for chaining");
  assert.equal(values.get(count), 2);
  values.set(count, 0);
  assert.equal(values.get(count), 0, "a falsy value is a value");
  values.set(name, undefined);
  assert.equal(values.get(name), undefined);
  assert.equal(values.delete(count), values);
  assert.equal(values.get(count), 1, "deleted: the default again");
  assert.equal(createCallValues().get(name), undefined, "another call's values are empty");
});
