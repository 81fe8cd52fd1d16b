/**
 * The HandlerContext of a call on a unary fast path (unary-fast-path.ts): the same fields and
 * signal semantics as connect's createHandlerContext, at a third of its
 * cost. Connect links three AbortControllers per call (deadline, request,
 * the call's own) and adds a listener to the process-wide shutdown signal,
 * which every call in flight then shares; here a call has one controller,
 * aborted by its deadline timer, by the client's reset (`abort`), or by
 * shutdown through one listener for all calls.
 */
import { Code, ConnectError, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { DescMethod } from "@bufbuild/protobuf";
import { getEventListeners } from "node:events";

export interface UnaryCallContext extends HandlerContext {
  /** Ends the call's signal (with `reason`) and its deadline timer; later calls do nothing. */
  abort(reason?: unknown): void;
  /**
   * Ends a call that completed: as `abort(completedReason)`, except that the
   * signal is aborted only when something listens to it. Aborting builds and
   * dispatches an Event, which measured at 4 % of a call's CPU; with nobody
   * to hear it, the only difference is `signal.aborted` staying false on a
   * signal no code holds any more.
   */
  complete(completedReason: unknown): void;
}

export interface UnaryCallInit {
  method: DescMethod;
  /** "grpc" or "connect". */
  protocolName: string;
  url: string;
  /** From grpc-timeout; undefined without a deadline. */
  timeoutMs: number | undefined;
  requestHeader: Headers;
  responseHeader: Headers;
  responseTrailer: Headers;
  values: ContextValues | undefined;
}

/** Creates the contexts of calls that all end when `shutdownSignal` aborts, as connect's would. */
export function unaryCallContexts(shutdownSignal: AbortSignal): (init: UnaryCallInit) => UnaryCallContext {
  const live = new Set<AbortController>();
  shutdownSignal.addEventListener(
    "abort",
    () => {
      for (const controller of live) controller.abort(shutdownSignal.reason);
      live.clear();
    },
    { once: true },
  );
  return (init) => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let deadline: number | undefined;
    if (shutdownSignal.aborted) controller.abort(shutdownSignal.reason);
    else live.add(controller);
    if (init.timeoutMs !== undefined) {
      deadline = Date.now() + init.timeoutMs;
      if (init.timeoutMs <= 0) controller.abort(timedOut());
      else timer = setTimeout(() => controller.abort(timedOut()), init.timeoutMs);
    }
    return {
      method: init.method,
      service: init.method.parent,
      signal: controller.signal,
      timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
      requestMethod: "POST",
      requestHeader: init.requestHeader,
      responseHeader: init.responseHeader,
      responseTrailer: init.responseTrailer,
      protocolName: init.protocolName,
      values: init.values ?? createContextValues(),
      url: init.url,
      abort(reason?: unknown) {
        clearTimeout(timer);
        live.delete(controller);
        controller.abort(reason);
      },
      complete(completedReason: unknown) {
        clearTimeout(timer);
        live.delete(controller);
        if (getEventListeners(controller.signal, "abort").length > 0) controller.abort(completedReason);
      },
    };
  };
}

function timedOut(): ConnectError {
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
}
