/**
 * How many `authorization` header fields a request really carried, read at the
 * Node request level. Node's HTTP/1.1 and HTTP/2 servers keep only the first of
 * several `authorization` fields in `req.headers` (and so in the Headers the
 * Connect adapter builds) and drop the rest, so the "exactly one
 * Bearer <token>" rule of parse-authorization.ts never sees a second one, while
 * a proxy in front that uses the last value would authenticate someone else.
 * `req.rawHeaders` still lists every field, over HTTP/1.1, HTTP/2 and TLS
 * alike: the adapter's `contextValues` hook records the count, and the auth
 * interceptor refuses a call that needs a token when there is more than one.
 */
import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";
import { AccessTokenError } from "./access-token-error.js";

/**
 * The number of `authorization` fields of the current request, set by
 * {@link withAuthorizationFieldCount}; 1 when nothing set it (a router without
 * the hook, in-memory tests), so the header value alone decides.
 */
export const kAuthorizationFieldCount = createContextKey<number>(1, { description: "number of authorization header fields" });

/** What the count needs of a request: Node's http.IncomingMessage and http2.Http2ServerRequest both have it. */
export interface RequestWithRawHeaders {
  /** Names and values in turn, as received, repeated fields included. */
  readonly rawHeaders: readonly string[];
}

/** Counts the `authorization` fields of a raw header list (name, value, name, value, …); names in any case. */
export function countAuthorizationFields(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 13 && name.toLowerCase() === "authorization") count++;
  }
  return count;
}

/**
 * For the Node adapter's `contextValues` option: records how many
 * `authorization` fields `req` carried, in `values` when given (to combine with
 * other per-request values), else in fresh ones. Returns the values.
 */
export function withAuthorizationFieldCount(req: RequestWithRawHeaders, values: ContextValues = createContextValues()): ContextValues {
  return values.set(kAuthorizationFieldCount, countAuthorizationFields(req.rawHeaders));
}

/** Fails with `malformed_authorization` when the call carried more than one `authorization` field. */
export function assertOneAuthorizationField(values: ContextValues): void {
  if (values.get(kAuthorizationFieldCount) > 1) {
    throw new AccessTokenError("malformed_authorization", 'more than one authorization value: send exactly one "authorization: Bearer <token>"');
  }
}
