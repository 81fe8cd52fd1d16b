/** Counting the authorization fields a Node request really carried, and the refusal of more than one. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createContextValues } from "@connectrpc/connect";
import { AccessTokenError } from "./access-token-error.js";
import { assertOneAuthorizationField, countAuthorizationFields, kAuthorizationFieldCount, withAuthorizationFieldCount } from "./authorization-field-count.js";

test("every authorization field is counted, whatever the case of its name", () => {
  assert.equal(countAuthorizationFields([]), 0);
  assert.equal(countAuthorizationFields(["host", "x", "authorization", "Bearer a"]), 1);
  assert.equal(countAuthorizationFields(["Authorization", "Bearer a", "accept", "*/*", "AUTHORIZATION", "Bearer b"]), 2);
  assert.equal(countAuthorizationFields(["x-authorization", "Bearer a", "authorization-x", "b", "authorization", "", "authorization", "c"]), 2);
});

test("the count travels in context values, added to those given; unset means one", () => {
  const values = createContextValues();
  assert.equal(values.get(kAuthorizationFieldCount), 1);
  assert.equal(withAuthorizationFieldCount({ rawHeaders: ["authorization", "a", "authorization", "b"] }, values), values);
  assert.equal(values.get(kAuthorizationFieldCount), 2);
  assert.throws(() => assertOneAuthorizationField(values), (err: unknown) => err instanceof AccessTokenError && err.reason === "malformed_authorization" && /more than one authorization value/.test(err.message));
  assert.doesNotThrow(() => assertOneAuthorizationField(withAuthorizationFieldCount({ rawHeaders: ["authorization", "a"] })));
  assert.doesNotThrow(() => assertOneAuthorizationField(withAuthorizationFieldCount({ rawHeaders: [] })));
});
