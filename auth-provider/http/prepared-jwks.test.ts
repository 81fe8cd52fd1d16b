/**
 * Unit tests of the prepared JWKS response on a bare node:http server: the
 * headers of today's JWKS plus a strong ETag and Content-Length, 304 on a
 * matching If-None-Match, HEAD without a body, and a new body and ETag when
 * the key set changes (and only then).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { PublicJwks } from "../keys/key-ring.js";
import { createJwksResponder } from "./prepared-jwks.js";

const key = (kid: string) => ({ kty: "EC", crv: "P-256", x: "eA", y: "eQ", kid, alg: "ES256" as const, use: "sig" as const });

describe("prepared JWKS response", () => {
  let current: PublicJwks = { keys: [key("one")] };
  let server: Server;
  let url: string;

  before(async () => {
    const respond = createJwksResponder(() => current);
    server = createServer(respond);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("serves the key set with a strong ETag, its length and a 5-minute Cache-Control", async () => {
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "public, max-age=300");
    assert.match(response.headers.get("etag") ?? "", /^"[A-Za-z0-9_-]{27}"$/);
    const body = await response.text();
    assert.equal(response.headers.get("content-length"), String(Buffer.byteLength(body)));
    assert.deepEqual(JSON.parse(body), current);
    assert.equal((await fetch(url)).headers.get("etag"), response.headers.get("etag"), "the same while the keys are unchanged");
  });

  it("answers 304 with the ETag when If-None-Match names it (alone, in a list, weak or *)", async () => {
    const etag = (await fetch(url)).headers.get("etag")!;
    for (const ifNoneMatch of [etag, `"other", ${etag}`, `W/${etag}`, "*"]) {
      const response = await fetch(url, { headers: { "if-none-match": ifNoneMatch } });
      assert.equal(response.status, 304, ifNoneMatch);
      assert.equal(response.headers.get("etag"), etag);
      assert.equal(response.headers.get("cache-control"), "public, max-age=300");
      assert.equal(await response.text(), "");
    }
    assert.equal((await fetch(url, { headers: { "if-none-match": '"other"' } })).status, 200);
  });

  it("answers HEAD with the headers and no body", async () => {
    const get = await fetch(url);
    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), get.headers.get("content-length"));
    assert.equal(head.headers.get("etag"), get.headers.get("etag"));
    assert.equal(await head.text(), "");
  });

  it("prepares a new body and ETag when the key set changes", async () => {
    const before = (await fetch(url)).headers.get("etag")!;
    current = { keys: [key("one"), key("two")] };
    const response = await fetch(url, { headers: { "if-none-match": before } });
    assert.equal(response.status, 200, "the old ETag no longer matches");
    assert.notEqual(response.headers.get("etag"), before);
    assert.deepEqual(((await response.json()) as PublicJwks).keys.map((k) => k.kid), ["one", "two"]);
  });
});
