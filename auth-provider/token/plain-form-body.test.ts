/** Unit tests of the plain form body reader: which requests it takes, and that it reads what express.text() would. */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { Readable } from "node:stream";
import { plainFormBodyLength, readPlainFormBody } from "./plain-form-body.js";

const request = (headers: Record<string, string>, chunks: Buffer[] = []) => Object.assign(Readable.from(chunks), { headers }) as unknown as IncomingMessage;
const form = "application/x-www-form-urlencoded";

describe("plain form body", () => {
  it("takes a form with a Content-Length up to 16 KiB, with no charset or charset UTF-8, and nothing else", () => {
    assert.equal(plainFormBodyLength(request({ "content-type": form, "content-length": "10" })), 10);
    assert.equal(plainFormBodyLength(request({ "content-type": `${form};charset=UTF-8`, "content-length": "16384" })), 16384);
    assert.equal(plainFormBodyLength(request({ "content-type": `${form}; charset="utf-8"`, "content-length": "1" })), 1);
    const refused: Record<string, string>[] = [
      { "content-type": form, "content-length": "16385" },
      { "content-type": form, "content-length": "0" },
      { "content-type": form },
      { "content-type": form, "transfer-encoding": "chunked" },
      { "content-type": form, "content-length": "10", "content-encoding": "identity" },
      { "content-type": `${form}; charset=latin1`, "content-length": "10" },
      { "content-type": "application/json", "content-length": "10" },
      { "content-type": "text/plain", "content-length": "10" },
      { "content-length": "10" },
    ];
    for (const headers of refused) {
      assert.equal(plainFormBodyLength(request(headers)), undefined, JSON.stringify(headers));
    }
  });

  it("reads UTF-8 split across chunks, drops a leading BOM, and reports a short body as body-parser does", async () => {
    const read = (chunks: Buffer[], length: number) =>
      new Promise<{ err: Error | undefined; text: string | undefined }>((resolve) => readPlainFormBody(request({}, chunks), length, (err, text) => resolve({ err, text })));
    const bytes = Buffer.from("\uFEFFscope=caf\u00e9");
    assert.deepEqual(await read([bytes.subarray(0, 12), bytes.subarray(12)], bytes.length), { err: undefined, text: "scope=caf\u00e9" });
    const short = await read([Buffer.from("scope=a")], 10);
    assert.equal((short.err as { type?: string } | undefined)?.type, "request.size.invalid");
  });
});
