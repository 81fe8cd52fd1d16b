/**
 * A caller that goes away while its request stream is still open is not a
 * server error. The request body then ends without its end-of-stream: Node
 * fails the read with "Premature close" (HTTP/2) or "aborted" (HTTP/1.1), and
 * Connect would end the call with UNKNOWN, which the call log writes at level
 * error. This interceptor reads every streaming request (a reflection stream,
 * or a watch whose request was never finished) and turns such a failure into
 * CANCELED, the code a cancelled watch ends with, keeping the Node error as
 * the cause. Failures Connect itself reports (a message too large, a broken
 * envelope) pass unchanged.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Creates the interceptor; place it right after the call log interceptor, so the log sees CANCELED. */
export function createCallerGoneInterceptor(): Interceptor {
  return (next) => (req) => (req.stream ? next({ ...req, message: canceledWhenCallerLeaves(req.message, req.signal) }) : next(req));
}

async function* canceledWhenCallerLeaves<T>(messages: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    if (err instanceof ConnectError || !(signal.aborted || isPrematureClose(err))) throw err;
    throw new ConnectError("the caller went away before ending its request stream", Code.Canceled, undefined, undefined, err);
  }
}

// The request stream closed before its end: only the peer (or its connection) does that to a server's request.
function isPrematureClose(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ERR_STREAM_PREMATURE_CLOSE";
}
