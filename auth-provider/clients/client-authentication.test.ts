/** Unit tests of reading client credentials from the Authorization header and the body. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBasicAuthorization, readPresentedCredentials } from "./client-authentication.js";
import { OAuthError } from "../token/oauth-error.js";
import { basicAuthorization } from "../../test/support/auth-provider.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function oauthError(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OAuthError);
    return err;
  }
  assert.fail("no error");
}

describe("parseBasicAuthorization", () => {
  const good: [string, string, string][] = [
    ["plain", `Basic ${b64("assistant:s3cret")}`, "assistant|s3cret"],
    ["scheme in any case", `basic ${b64("a:b")}`, "a|b"],
    ["splits on the first colon only", `Basic ${b64("a:b:c")}`, "a|b:c"],
    ["form-decodes both parts", basicAuthorization("id:with colon", "p%ss+w:rd"), "id:with colon|p%ss+w:rd"],
    ["+ is a space", `Basic ${b64("a+b:c+d")}`, "a b|c d"],
    ["missing base64 padding", `Basic ${b64("ab:cd").replace(/=+$/, "")}`, "ab|cd"],
  ];
  for (const [name, header, expected] of good) {
    it(name, () => {
      const { clientId, clientSecret } = parseBasicAuthorization(header);
      assert.equal(`${clientId}|${clientSecret}`, expected);
    });
  }

  const bad: [string, string, RegExp][] = [
    ["another scheme", "Bearer abc", /Basic scheme/],
    ["no credentials", "Basic", /not valid base64/],
    ["not base64", "Basic ***", /not valid base64/],
    ["no colon", `Basic ${b64("assistant")}`, /client_id:client_secret/],
    ["bad percent escape", `Basic ${b64("a%zz:b")}`, /URL-encoded/],
    ["empty id", `Basic ${b64(":secret")}`, /empty/],
    ["empty secret", `Basic ${b64("id:")}`, /empty/],
  ];
  for (const [name, header, description] of bad) {
    it(`refuses ${name} with invalid_client and a Basic challenge`, () => {
      const err = oauthError(() => parseBasicAuthorization(header));
      assert.equal(err.code, "invalid_client");
      assert.equal(err.status, 401);
      assert.equal(err.basicChallenge, true);
      assert.match(err.description, description);
    });
  }
});

describe("readPresentedCredentials", () => {
  const basic = basicAuthorization("assistant", "s3cret");

  it("takes Basic credentials", () => {
    assert.deepEqual(readPresentedCredentials(basic, {}), {
      method: "client_secret_basic",
      clientId: "assistant",
      clientSecret: "s3cret",
    });
  });

  it("takes body credentials", () => {
    assert.deepEqual(readPresentedCredentials(undefined, { clientId: "assistant", clientSecret: "s3cret" }), {
      method: "client_secret_post",
      clientId: "assistant",
      clientSecret: "s3cret",
    });
  });

  it("accepts a body client_id that agrees with Basic", () => {
    assert.equal(readPresentedCredentials(basic, { clientId: "assistant" }).method, "client_secret_basic");
  });

  const cases: [string, string | undefined, { clientId?: string; clientSecret?: string }, string, RegExp][] = [
    ["both methods", basic, { clientId: "assistant", clientSecret: "s3cret" }, "invalid_request", /use one client authentication method/],
    ["a body client_id that contradicts Basic", basic, { clientId: "other" }, "invalid_request", /does not match/],
    ["no credentials", undefined, {}, "invalid_client", /client authentication is required/],
    ["client_id only", undefined, { clientId: "assistant" }, "invalid_client", /client_secret is missing/],
    ["client_secret only", undefined, { clientSecret: "s3cret" }, "invalid_client", /client_id is missing/],
  ];
  for (const [name, header, body, code, description] of cases) {
    it(`refuses ${name}`, () => {
      const err = oauthError(() => readPresentedCredentials(header, body));
      assert.equal(err.code, code);
      assert.match(err.description, description);
    });
  }
});
