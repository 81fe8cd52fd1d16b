/** The caller-gone interceptor on its own: which failures of a request stream become CANCELED, which pass unchanged. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createCallerGoneInterceptor } from "./caller-gone-interceptor.js";

type Next = Parameters<Interceptor>[0];
type Request = Parameters<Next>[0];

/** Runs the interceptor on a streaming request whose body fails with `failure`; resolves with what reading it threw. */
async function readFailure(failure: unknown, aborted: boolean): Promise<unknown> {
  const abort = new AbortController();
  if (aborted) abort.abort();
  async function* body() {
    yield "first";
    throw failure;
  }
  let read: unknown;
  const next: Next = async (req) => {
    try {
      for await (const _ of req.message as AsyncIterable<unknown>);
    } catch (err) {
      read = err;
    }
    return {} as Awaited<ReturnType<Next>>;
  };
  await createCallerGoneInterceptor()(next)({ stream: true, message: body(), signal: abort.signal } as unknown as Request);
  return read;
}

const prematureClose = Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
const aborted = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
const tooLarge = new ConnectError("message size is larger than configured readMaxBytes", Code.ResourceExhausted);
const cases: [what: string, failure: unknown, signalAborted: boolean, expected: Code | "unchanged"][] = [
  ["Premature close", prematureClose, false, Code.Canceled],
  ["Premature close after the call's signal aborted", prematureClose, true, Code.Canceled],
  ["an HTTP/1.1 reset once the signal aborted", aborted, true, Code.Canceled],
  ["a reset while the caller is still there", aborted, false, "unchanged"],
  ["Connect's own error, even after an abort", tooLarge, true, "unchanged"],
];

for (const [what, failure, signalAborted, expected] of cases) {
  test(`${what}: ${expected === "unchanged" ? "passes unchanged" : Code[expected]}`, async () => {
    const read = await readFailure(failure, signalAborted);
    if (expected === "unchanged") return assert.equal(read, failure);
    assert.ok(read instanceof ConnectError);
    assert.equal(read.code, expected);
    assert.equal(read.cause, failure, "the Node error stays the cause");
  });
}

test("a unary request passes as it is", async () => {
  const req = { stream: false, message: "one", signal: new AbortController().signal } as unknown as Request;
  let seen: unknown;
  await createCallerGoneInterceptor()(async (r) => {
    seen = r;
    return {} as Awaited<ReturnType<Next>>;
  })(req);
  assert.equal(seen, req);
});
