/**
 * A call's context values, kept in a Map. connect's createContextValues makes
 * an object with three new methods for every call and stores each value as a
 * property keyed by a symbol, so every set reshapes the object (a V8 map
 * transition); every call sets four (address, authorization field count,
 * certificate lookup, principal). Same behaviour: a key never set reads as its
 * default value.
 */
import type { ContextKey, ContextValues } from "@connectrpc/connect";

class CallValues implements ContextValues {
  readonly #values = new Map<symbol, unknown>();

  get<T>(key: ContextKey<T>): T {
    const values = this.#values;
    return values.has(key.id) ? (values.get(key.id) as T) : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    this.#values.set(key.id, value);
    return this;
  }

  delete(key: ContextKey<unknown>): this {
    this.#values.delete(key.id);
    return this;
  }
}

/** Empty context values for a new call. */
export function createCallValues(): ContextValues {
  return new CallValues();
}
