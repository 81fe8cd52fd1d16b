/**
 * Reading a request and writing an answer on a bare HTTP/2 stream, for the
 * unary fast paths (unary-fast-path.ts): what connect-node's adapter does
 * through Node's compatibility layer, without it.
 */
import type http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { LazyHeaderFields } from "./lazy-header-fields.js";
import type { UnaryCallContext } from "./unary-call-context.js";

/**
 * Collects the request body. `inspect` sees the chunks so far after each one
 * and may refuse the request (a size limit) before the rest arrives. Resolves
 * with the whole body, or with undefined when the stream closes before its end
 * (the client reset it or left). The listeners stay until the stream goes:
 * removing them costs more than a flag.
 */
export function readRequestBody(stream: http2.ServerHttp2Stream, inspect: (chunks: readonly Buffer[], size: number) => ConnectError | undefined): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    stream.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.byteLength;
      chunks.push(chunk);
      const refusal = inspect(chunks, size);
      if (refusal !== undefined) {
        settled = true;
        reject(refusal);
      }
    });
    stream.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    stream.on("close", () => {
      if (settled) return;
      settled = true;
      resolve(undefined);
    });
  });
}

/**
 * Ends the call's context when the stream closes before the answer was sent:
 * the client reset it (its code mapped as connect-node maps it) or the
 * connection went away. Returns what the writer calls once it sends the answer.
 */
export function abortWhenClosedEarly(stream: http2.ServerHttp2Stream, context: UnaryCallContext): () => void {
  let answered = false;
  // Node emits stream errors (a reset with an error code) as events; the close is what matters.
  stream.on("error", ignore);
  stream.on("close", () => {
    if (!answered) context.abort(connectErrorFromResetCode(stream.rstCode));
  });
  return () => {
    answered = true;
  };
}

function ignore(): void {}

/** Whether an answer can still be written; a stream closed in between is destroyed, as nobody waits for it. */
export function writable(stream: http2.ServerHttp2Stream): boolean {
  return !stream.destroyed && !stream.closed;
}

/** Copies `headers` into a Node header object: from the lazy fields' source while nothing touched them. */
export function nodeHeadersOf(headers: Headers, into: http2.OutgoingHttpHeaders, prefix = ""): http2.OutgoingHttpHeaders {
  const untouched = headers instanceof LazyHeaderFields ? headers.untouched : undefined;
  if (untouched !== undefined && prefix === "") return Object.assign(into, untouched);
  headers.forEach((value, name) => {
    const key = prefix + name;
    // Headers joins repeated fields with ", " (set-cookie aside, below); a prefixed trailer is appended like that too.
    into[key] = into[key] === undefined ? value : `${String(into[key])}, ${value}`;
  });
  if (prefix === "") {
    const cookies = headers.getSetCookie();
    if (cookies.length > 0) into["set-cookie"] = cookies;
  }
  return into;
}

/** A header value as connect reads it from a Headers: a list joined with ", ", absent as null. */
export function single(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
}

// connect-node's mapping of a client's RST_STREAM code (node-error.js), with its messages; NO_ERROR and
// STREAM_CLOSED map to a plain abort, as there.
const resetCodes: Record<number, [string, Code]> = {
  0x1: ["PROTOCOL_ERROR", Code.Internal],
  0x2: ["INTERNAL_ERROR", Code.Internal],
  0x3: ["FLOW_CONTROL_ERROR", Code.Internal],
  0x4: ["SETTINGS_TIMEOUT", Code.Internal],
  0x6: ["FRAME_SIZE_ERROR", Code.Internal],
  0x7: ["REFUSED_STREAM", Code.Unavailable],
  0x8: ["CANCEL", Code.Canceled],
  0x9: ["COMPRESSION_ERROR", Code.Internal],
  0xa: ["CONNECT_ERROR", Code.Internal],
  0xb: ["ENHANCE_YOUR_CALM", Code.ResourceExhausted],
  0xc: ["INADEQUATE_SECURITY", Code.PermissionDenied],
  0xd: ["HTTP_1_1_REQUIRED", Code.PermissionDenied],
};

function connectErrorFromResetCode(rstCode: number | undefined): ConnectError | undefined {
  const known = rstCode === undefined ? undefined : resetCodes[rstCode];
  return known === undefined ? undefined : new ConnectError(`http/2 stream closed with error code ${known[0]} (0x${rstCode!.toString(16)})`, known[1]);
}

/** The reason a completed call's context is aborted with: one frozen instance, no stack trace built per call. */
export const callCompleted = Object.freeze(new ConnectError("the call has completed", Code.Canceled));
