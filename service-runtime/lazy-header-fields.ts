/**
 * The header fields of a call on the gRPC fast path, as the `Headers` a
 * HandlerContext carries, read from a plain object until something changes
 * or walks them. Building a `Headers` costs about half a microsecond per
 * field (every name and value is validated again, though nghttp2 already
 * refused invalid ones); most calls only `get` a request field or two
 * (authorization, content-type) and never touch the response's, which this
 * answers from the object. The first call of any other method fills the real
 * `Headers` first, so from then on it behaves as one in every way.
 *
 * Request fields are those connect-node's adapter gives a call: Node's HTTP/2
 * header object without the pseudo-headers, list values appended one by one
 * (Node joins repeated fields itself, as the adapter sees them too).
 */
import type http2 from "node:http2";

/** Headers' members written as methods (its type declares them as properties, which a subclass cannot override). */
interface HeaderMethods {
  get(name: string): string | null;
  has(name: string): boolean;
  append(name: string, value: string): void;
  set(name: string, value: string): void;
  delete(name: string): void;
  getSetCookie(): string[];
  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}
const HeadersClass = Headers as unknown as new () => HeaderMethods;

/** RFC 9110's token: what Headers accepts as a field name (so never a pseudo-header's ":"). */
const fieldName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class LazyHeaderFields extends HeadersClass {
  #incoming: http2.IncomingHttpHeaders | undefined;

  /** `incoming` is read, never changed; lower-case names, as Node gives them. */
  constructor(incoming: http2.IncomingHttpHeaders) {
    super();
    this.#incoming = incoming;
  }

  /** The fields given to the constructor while nothing has changed or walked them yet (then undefined). */
  get untouched(): http2.IncomingHttpHeaders | undefined {
    return this.#incoming;
  }

  /** Copies the incoming fields into the Headers itself, once; afterwards it is an ordinary Headers. */
  #fill(): void {
    const incoming = this.#incoming;
    if (incoming === undefined) return;
    this.#incoming = undefined;
    for (const name in incoming) {
      if (name.charCodeAt(0) === 58 /* ":" */) continue;
      const value = incoming[name];
      if (typeof value === "string") super.append(name, value);
      else if (Array.isArray(value)) for (const v of value) super.append(name, v);
    }
  }

  override get(name: string): string | null {
    const incoming = this.#incoming;
    if (incoming === undefined) return super.get(name);
    // A name no field can have throws, as Headers.get does (and as this does once filled).
    if (!fieldName.test(name)) return super.get(name);
    const value = incoming[name.toLowerCase()];
    if (typeof value === "string") return value;
    // Headers.get of a list joins it with ", " (set-cookie included).
    if (Array.isArray(value)) return value.join(", ");
    return null;
  }

  override has(name: string): boolean {
    return this.get(name) !== null;
  }

  override append(name: string, value: string): void {
    this.#fill();
    super.append(name, value);
  }

  override set(name: string, value: string): void {
    this.#fill();
    super.set(name, value);
  }

  override delete(name: string): void {
    this.#fill();
    super.delete(name);
  }

  override getSetCookie(): string[] {
    this.#fill();
    return super.getSetCookie();
  }

  override forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#fill();
    super.forEach(callback, thisArg);
  }

  override entries(): IterableIterator<[string, string]> {
    this.#fill();
    return super.entries();
  }

  override keys(): IterableIterator<string> {
    this.#fill();
    return super.keys();
  }

  override values(): IterableIterator<string> {
    this.#fill();
    return super.values();
  }

  override [Symbol.iterator](): IterableIterator<[string, string]> {
    this.#fill();
    return super[Symbol.iterator]();
  }
}
