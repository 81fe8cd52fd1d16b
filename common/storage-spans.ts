/**
 * Storage calls as client spans (OpenTelemetry's database conventions:
 * db.system.name, db.collection.name, db.operation.name), for the stores of
 * the auth provider and the services. A call made outside any span (a
 * background poll, the change listener) runs untraced, so it never starts a
 * trace of its own. Arguments and results are never recorded.
 */
import { m2mTracer, otelApi } from "./tracing.js";

/** The database conventions' names of our backends. */
export type DbSystem = "sqlite" | "postgresql";

/** What names a storage span: `<collection>.<operation>`, e.g. notes.list or clients.authenticate. */
export interface StorageCall {
  readonly system: DbSystem;
  /** The table or repository, e.g. notes, clients. */
  readonly collection: string;
  /** The store's method, e.g. list, authenticate. */
  readonly operation: string;
}

/** Runs call in a child span of the active span; without an active span, just runs it. */
export function inStorageSpan<T>(what: StorageCall, call: () => Promise<T>): Promise<T> {
  const { context, SpanKind, SpanStatusCode, trace } = otelApi();
  if (trace.getSpan(context.active()) === undefined) return call();
  const attributes = { "db.system.name": what.system, "db.collection.name": what.collection, "db.operation.name": what.operation };
  return m2mTracer().startActiveSpan(`${what.collection}.${what.operation}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await call();
    } catch (err) {
      // The error's class only: messages may quote stored values.
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : "error" });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The async methods of T. */
export type AsyncMethodOf<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T] & string;

/**
 * A copy of target (same prototype, same own properties) whose listed methods each run in a storage span named
 * `<collection>.<method>`; its other members are target's.
 */
export function withStorageSpans<T extends object>(target: T, system: DbSystem, collection: string, methods: readonly AsyncMethodOf<T>[]): T {
  const traced = Object.create(Object.getPrototypeOf(target) as object | null, Object.getOwnPropertyDescriptors(target)) as T;
  for (const operation of methods) {
    const method = target[operation] as (...args: unknown[]) => Promise<unknown>;
    const what = { system, collection, operation };
    Object.defineProperty(traced, operation, {
      value: (...args: unknown[]) => inStorageSpan(what, () => method.apply(target, args)),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return traced;
}
