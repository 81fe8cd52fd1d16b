/**
 * A cheaper reader for the body nearly every token request has: a form
 * (`application/x-www-form-urlencoded`, no charset other than UTF-8), not
 * compressed, with a Content-Length of at most the endpoint's limit. Such a
 * body is read into a string exactly as express.text() would read it (UTF-8
 * through a StringDecoder, a leading BOM dropped, the same error type when
 * the request is cut short), without body-parser's content-type parsing,
 * charset lookup and raw-body machinery per request. Every other request
 * (JSON, another charset, a Content-Encoding, chunked, empty, too large) is
 * left to the express parsers, so its answer, errors included, is theirs.
 */
import type { IncomingMessage } from "node:http";
import { StringDecoder } from "node:string_decoder";

/** The largest Content-Length read here: the endpoint's 16kb limit, as body-parser counts it (16 × 1024). */
const maxLength = 16 * 1024;

// The media type with no parameter, or with charset UTF-8 alone (as fetch and URLSearchParams send it).
const plainFormType = /^application\/x-www-form-urlencoded(?:\s*;\s*charset="?utf-8"?)?$/i;

/** The declared length when `req` carries a body this reader takes, else undefined. */
export function plainFormBodyLength(req: IncomingMessage): number | undefined {
  const { headers } = req;
  const type = headers["content-type"];
  if (type === undefined || !plainFormType.test(type)) return undefined;
  if (headers["content-encoding"] !== undefined || headers["transfer-encoding"] !== undefined) return undefined;
  const declared = headers["content-length"];
  if (declared === undefined || !/^[0-9]{1,5}$/.test(declared)) return undefined;
  const length = Number(declared);
  return length > 0 && length <= maxLength ? length : undefined;
}

/** What body-parser's read step reports when the request ends before its body (mapped to invalid_request). */
class IncompleteBodyError extends Error {
  readonly status = 400;
  constructor(readonly type: "request.aborted" | "request.size.invalid") {
    super(type === "request.aborted" ? "request aborted" : "request size did not match content length");
  }
}

/** Reads the body of `length` bytes as UTF-8; calls back once with the text or the error body-parser would give. */
export function readPlainFormBody(req: IncomingMessage, length: number, done: (err: Error | undefined, text?: string) => void): void {
  const decoder = new StringDecoder("utf8");
  let text = "";
  let received = 0;
  let finished = false;
  const finish = (err: Error | undefined) => {
    if (finished) return;
    finished = true;
    req.removeListener("data", onData);
    req.removeListener("end", onEnd);
    req.removeListener("close", onClose);
    req.removeListener("error", onError);
    if (err !== undefined) return done(err);
    text += decoder.end();
    done(undefined, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    text += decoder.write(chunk);
  };
  const onEnd = () => finish(received === length ? undefined : new IncompleteBodyError("request.size.invalid"));
  const onClose = () => finish(new IncompleteBodyError("request.aborted"));
  const onError = () => finish(new IncompleteBodyError("request.aborted"));
  req.on("data", onData);
  req.once("end", onEnd);
  req.once("close", onClose);
  req.once("error", onError);
}
