/**
 * One more try for a read whose replica went away. Behind a load balancer a
 * replica can die between two calls: the call then fails UNAVAILABLE (or its
 * connection is reset, which surfaces as CANCELED without the caller having
 * cancelled), and the same call on a fresh connection reaches a live replica.
 * Only methods the proto marks free of side effects (`idempotency_level =
 * NO_SIDE_EFFECTS`: Get, List) are retried, once; a write is never repeated
 * blindly, since the first attempt may have been committed.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";

/** Whether `err` (from a call whose caller did not cancel) means the replica or the connection went away. */
function replicaWentAway(err: unknown, callerSignal: AbortSignal): boolean {
  const code = ConnectError.from(err).code;
  return code === Code.Unavailable || (code === Code.Canceled && !callerSignal.aborted);
}

/** Retries unary side-effect-free calls once when their replica went away; `onRetry` is told (for --verbose). */
export function createReadRetryInterceptor(onRetry?: (method: string, err: ConnectError) => void): Interceptor {
  return (next) => async (req) => {
    if (req.stream || req.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) return next(req);
    try {
      return await next(req);
    } catch (err) {
      if (!replicaWentAway(err, req.signal)) throw err;
      onRetry?.(req.method.name, ConnectError.from(err));
      return next(req);
    }
  };
}
