import assert from "node:assert/strict";
import { test } from "node:test";
import { describeCoreError, isCoreError } from "./core-errors.js";

const uri = "http://core:3567";
const coreError = (status: number, message: string) =>
  new Error(`SuperTokens core threw an error for a POST request to path: '/recipe/oauth/clients' with status code: ${status} and message: ${message}`);

test("each way the core fails becomes one line that says what to do", () => {
  const cases: [unknown, string, RegExp][] = [
    [new Error("No SuperTokens core available to query"), "unreachable", /check SUPERTOKENS_CONNECTION_URI/],
    [coreError(401, "Invalid API key"), "api_key", /set SUPERTOKENS_API_KEY/],
    [coreError(402, "Cannot use feature: [oauth]"), "licence", /licence key with OAuth/],
    [new Error("The running SuperTokens core version is not compatible with this NodeJS SDK."), "incompatible", /upgrade the core/],
    [coreError(500, "boom\n  at somewhere"), "other", /failed: SuperTokens core threw .* boom at somewhere$/],
  ];
  for (const [err, problem, message] of cases) {
    const failure = describeCoreError(err, uri);
    assert.equal(failure.problem, problem);
    assert.match(failure.message, message);
    assert.ok(failure.message.includes(uri));
    assert.ok(!failure.message.includes("\n"));
  }
});

test("isCoreError tells core failures from our own bugs", () => {
  assert.ok(isCoreError(coreError(402, "x")));
  assert.ok(isCoreError(new Error("No SuperTokens core available to query")));
  assert.ok(!isCoreError(new TypeError("undefined is not a function")));
});
