/**
 * One JSON log line per call: method, code, client id, duration, and for a
 * sender-constrained token what it was bound to (`token_binding`: "dpop",
 * "certificate" or both). For server streams the line is written when the
 * stream ends. Never logs metadata, messages or tokens.
 */
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import type { Logger } from "../common/json-logger.js";
import { kPrincipal } from "../interceptor/connect-auth-interceptor.js";
import type { Confirmation } from "../interceptor/principal.js";
import { protocolOf } from "./call-protocol.js";

/** Creates the interceptor; place it first so it also sees refused calls. */
export function createCallLogInterceptor(logger: Logger): Interceptor {
  // Calls that end well are logged at info; below it (LOG_LEVEL=warn) their fields are not even built.
  const logsCalls = logger.enabled("info");
  return (next) => async (req) => {
    const started = performance.now();
    const log = (err: unknown) => {
      const error = err === undefined ? undefined : ConnectError.from(err);
      const serverError = error?.code === Code.Internal || error?.code === Code.Unknown;
      if (!logsCalls && !serverError) return;
      const principal = req.contextValues.get(kPrincipal);
      const fields = {
        method: `${req.service.typeName}/${req.method.name}`,
        protocol: protocolOf(req.header.get("content-type")),
        code: error ? Code[error.code] : "OK",
        client_id: principal?.clientId ?? null,
        ...(principal?.confirmation === undefined ? {} : { token_binding: bindingOf(principal.confirmation) }),
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        ...(error ? { error: error.rawMessage } : {}),
      };
      if (serverError) {
        logger.error("call", { ...fields, cause: error.cause instanceof Error ? error.cause.message : undefined });
      } else {
        logger.info("call", fields);
      }
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      log(err);
      throw err;
    }
    if (!res.stream) {
      log(undefined);
      return res;
    }
    return { ...res, message: loggedStream(res, log) } as StreamResponse;
  };
}

async function* loggedStream<T>(res: { message: AsyncIterable<T> }, log: (err: unknown) => void): AsyncIterable<T> {
  try {
    yield* res.message;
    log(undefined);
  } catch (err) {
    log(err);
    throw err;
  }
}

/** What a sender-constrained token was bound to, for the log: "dpop", "certificate" or "dpop+certificate". */
function bindingOf(confirmation: Confirmation): string {
  return [confirmation.jkt === undefined ? undefined : "dpop", confirmation.x5tS256 === undefined ? undefined : "certificate"].filter((b) => b !== undefined).join("+");
}
