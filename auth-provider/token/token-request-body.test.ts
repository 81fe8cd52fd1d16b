/**
 * Unit tests of reading token request bodies: the media type, not the parsed
 * value's type, decides how a body is read, so a JSON body must be an object
 * (issue 11, item 4: a JSON string was read as a form body).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OAuthError } from "./oauth-error.js";
import { readTokenRequestParams, type TokenRequestMediaType } from "./token-request-body.js";

const form = "grant_type=client_credentials&client_id=cron&client_secret=s3cret-s3cret-s3cret";
const json: TokenRequestMediaType = "application/json";

describe("readTokenRequestParams", () => {
  it("reads a form body and a JSON object", () => {
    const expected = { grantType: "client_credentials", scope: undefined, audiences: [], clientId: "cron", clientSecret: "s3cret-s3cret-s3cret",
      clientAssertionType: undefined, clientAssertion: undefined, token: undefined, tokenTypeHint: undefined };
    assert.deepEqual(readTokenRequestParams(form, "application/x-www-form-urlencoded"), expected);
    assert.deepEqual(readTokenRequestParams(Object.fromEntries(new URLSearchParams(form)), json), expected);
  });

  const notObjects: [string, unknown, RegExp][] = [
    ["a string that spells a form", form, /^the JSON body must be an object, not a string$/],
    ["an array", [{ grant_type: "client_credentials" }], /^the JSON body must be an object, not an array$/],
    ["a number", 42, /^the JSON body must be an object, not a number$/],
    ["a boolean", true, /^the JSON body must be an object, not a boolean$/],
    ["null", null, /^the JSON body must be an object, not null$/],
  ];
  for (const [name, body, description] of notObjects) {
    it(`refuses a JSON body that is ${name} with invalid_request`, () => {
      assert.throws(
        () => readTokenRequestParams(body, json),
        (err: unknown) => err instanceof OAuthError && err.code === "invalid_request" && description.test(err.description),
      );
    });
  }

  it("refuses a missing body and a form body that was not read as text", () => {
    for (const [body, type] of [[undefined, json], [{ grant_type: "x" }, "application/x-www-form-urlencoded"]] as const) {
      assert.throws(() => readTokenRequestParams(body, type), (err: unknown) => err instanceof OAuthError && /needs a body/.test(err.description));
    }
  });
});
