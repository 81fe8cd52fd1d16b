/**
 * LazyHeaderFields must behave as the Headers built from the same fields in
 * every method, whether or not it has filled itself yet.
 */
import assert from "node:assert/strict";
import type http2 from "node:http2";
import { describe, test } from "node:test";
import { LazyHeaderFields } from "./lazy-header-fields.js";

/** Header fields as Node's HTTP/2 core gives them: lower-case names, pseudo-headers, lists for repeated fields. */
const incoming = (): http2.IncomingHttpHeaders => ({
  ":method": "POST",
  ":path": "/m2m.notes.v1.NoteService/ListNotes",
  ":authority": "127.0.0.1:3012",
  ":scheme": "http",
  "content-type": "application/grpc",
  authorization: "Bearer abc",
  "x-list": ["a", "b"] as unknown as string,
  "set-cookie": ["c=1", "d=2"],
  "grpc-timeout": "10S",
  "x-probe-bin": "AAH+/w==",
  "accept-encoding": "gzip",
});

/** The real Headers of the same fields: pseudo-headers left out, list values appended one by one. */
function reference(fields: http2.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(fields)) {
    if (name.startsWith(":")) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) headers.append(name, v);
  }
  return headers;
}

const lazy = () => new LazyHeaderFields(incoming());

describe("LazyHeaderFields", () => {
  test("is a Headers", () => {
    assert.ok(lazy() instanceof Headers);
  });

  test("get and has, case-insensitively, before it fills itself", () => {
    const headers = lazy();
    const ref = reference(incoming());
    for (const name of ["content-type", "Content-Type", "AUTHORIZATION", "x-list", "X-List", "set-cookie", "grpc-timeout", "x-probe-bin", "missing"]) {
      assert.equal(headers.get(name), ref.get(name), `get(${name})`);
      assert.equal(headers.has(name), ref.has(name), `has(${name})`);
    }
    assert.equal(headers.get("x-list"), "a, b", "a list is joined with \", \"");
    assert.ok(headers.untouched !== undefined, "get and has leave it untouched");
  });

  test("pseudo-headers are not fields: asking for one throws as in a Headers, and no walk shows one", () => {
    const headers = lazy();
    for (const name of [":method", ":path", ":authority", ":scheme"]) {
      assert.throws(() => headers.get(name), TypeError, name);
      assert.throws(() => headers.has(name), TypeError, name);
    }
    assert.ok(![...lazy().keys()].some((name) => name.startsWith(":")));
  });

  test("set, append and delete, then get; untouched becomes undefined", () => {
    const cases: [string, (h: Headers) => void][] = [
      ["set", (h) => h.set("Authorization", "Bearer other")],
      ["set a new field", (h) => h.set("x-new", "1")],
      ["append", (h) => h.append("x-list", "c")],
      ["delete", (h) => h.delete("AUTHORIZATION")],
      ["delete a list", (h) => h.delete("x-list")],
    ];
    for (const [name, change] of cases) {
      const headers = lazy();
      const ref = reference(incoming());
      change(headers);
      change(ref);
      assert.equal(headers.untouched, undefined, `${name}: untouched after a change`);
      assert.deepEqual([...headers], [...ref], name);
      for (const field of ["authorization", "x-list", "x-new", "content-type"]) assert.equal(headers.get(field), ref.get(field), `${name}: get(${field})`);
    }
  });

  test("forEach, entries, keys, values and iteration: the order of a real Headers", () => {
    const ref = reference(incoming());
    const walks: [string, (h: Headers) => unknown][] = [
      ["forEach", (h) => {
        const seen: [string, string][] = [];
        h.forEach((value, key, parent) => {
          assert.equal(parent, h);
          seen.push([key, value]);
        });
        return seen;
      }],
      ["entries", (h) => [...h.entries()]],
      ["keys", (h) => [...h.keys()]],
      ["values", (h) => [...h.values()]],
      ["iteration", (h) => [...h]],
      ["getSetCookie", (h) => h.getSetCookie()],
    ];
    for (const [name, walk] of walks) {
      const headers = lazy();
      assert.deepEqual(walk(headers), walk(ref), name);
      assert.equal(headers.untouched, undefined, `${name}: untouched after a walk`);
      // And once filled it still answers as before.
      assert.equal(headers.get("x-list"), "a, b");
      assert.equal(headers.has("x-probe-bin"), true);
    }
    assert.deepEqual(lazy().getSetCookie(), ["c=1", "d=2"]);
  });

  test("a name no header field can have (a pseudo-header, a space) throws a TypeError, as in a Headers, filled or not", () => {
    for (const name of [":path", "a b"]) {
      assert.throws(() => new Headers().get(name), TypeError, `Headers.get(${JSON.stringify(name)})`);
      const filled = lazy();
      filled.forEach(() => {});
      assert.throws(() => filled.get(name), TypeError, `filled: get(${JSON.stringify(name)})`);
      assert.throws(() => lazy().get(name), TypeError, `untouched: get(${JSON.stringify(name)}) must throw as once filled, not return null`);
    }
  });

  test("new Headers(lazy) copies every field, before and after it fills itself", () => {
    const ref = reference(incoming());
    assert.deepEqual([...new Headers(lazy())], [...ref], "an untouched one");
    const filled = lazy();
    void [...filled.keys()];
    assert.deepEqual([...new Headers(filled)], [...ref], "a filled one");
  });

  test("untouched: the very object given, until a change or a walk", () => {
    const fields = incoming();
    const headers = new LazyHeaderFields(fields);
    assert.equal(headers.untouched, fields);
    headers.get("content-type");
    headers.has("authorization");
    assert.equal(headers.untouched, fields);
    headers.forEach(() => {});
    assert.equal(headers.untouched, undefined);
    assert.deepEqual(fields, incoming(), "the given object is never changed");
  });
});
