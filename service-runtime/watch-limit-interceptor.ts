/**
 * Caps the watch streams one caller may hold open: per network address (every
 * caller, the public health Watch included) and per authenticated client (the
 * token's client id). A watch is any server-streaming method: Health/Watch,
 * WatchEvents, WatchNotes. Each open watch holds an HTTP/2 stream, a handler
 * and a change-feed subscriber that every write walks; without a cap one
 * caller can open thousands. Addresses are counted by `addressKey` (an IPv6
 * caller by its /64), so one host cannot multiply the cap across its prefix. A watch over a cap is refused with
 * RESOURCE_EXHAUSTED before its handler runs; its slot is freed the moment the
 * call ends, however it ends (completion, error, cancel, deadline, the
 * connection going away, shutdown). Refusals reach the logs through the call
 * log interceptor, like any other error.
 */
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { addressKey, unknownAddressKey } from "../common/client-address.js";
import { kPrincipal } from "../interceptor/connect-auth-interceptor.js";
import { kPeerAddress } from "./peer-address.js";

/** The environment variables of the two caps, named in refusals. */
export const watchLimitSettings = {
  perAddress: "SERVICE_MAX_WATCHES_PER_ADDRESS",
  perClient: "SERVICE_MAX_WATCHES_PER_CLIENT",
} as const;

export interface WatchLimitOptions {
  /** Open watches allowed per caller address (`kPeerAddress`, counted by its `addressKey`); a positive whole number. */
  perAddress: number;
  /** Open watches allowed per authenticated client id (`kPrincipal`); a positive whole number. */
  perClient: number;
  /** Told when a watch of the service (its full name) opens (+1) and when it ends (−1), for metrics; default none. */
  onOpenWatchesChange?: (service: string, delta: 1 | -1) => void;
}

/** Open watches by key (an address or a client id). */
interface OpenCount {
  count(key: string): number;
  add(key: string): void;
  remove(key: string): void;
}

function createOpenCount(): OpenCount {
  const counts = new Map<string, number>();
  return {
    count: (key) => counts.get(key) ?? 0,
    add: (key) => void counts.set(key, (counts.get(key) ?? 0) + 1),
    remove(key) {
      const left = (counts.get(key) ?? 0) - 1;
      if (left > 0) counts.set(key, left);
      else counts.delete(key);
    },
  };
}

/**
 * Creates the interceptor. Place it after the auth interceptor, so that
 * authenticated watches are counted under their client id and refused calls
 * never take a slot.
 * @throws TypeError when a cap is not a positive whole number.
 */
export function createWatchLimitInterceptor(options: WatchLimitOptions): Interceptor {
  for (const [name, value] of [["perAddress", options.perAddress], ["perClient", options.perClient]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`watch limit ${name} must be a positive whole number, not ${value}`);
  }
  const byAddress = createOpenCount();
  const byClient = createOpenCount();
  // Other calls pass straight through, without a promise of their own.
  return (next) => (req) => (req.method.methodKind === "server_streaming" ? limited(next, req) : next(req));

  async function limited(next: AnyCall, req: Parameters<AnyCall>[0]) {
    const address = addressKey(req.contextValues.get(kPeerAddress));
    const clientId = req.contextValues.get(kPrincipal)?.clientId;
    if (byAddress.count(address) >= options.perAddress) {
      throw new ConnectError(
        `too many open watch streams from ${address === unknownAddressKey ? "an unknown address" : address}: at most ${options.perAddress} per address (${watchLimitSettings.perAddress}); close one before opening another`,
        Code.ResourceExhausted,
      );
    }
    if (clientId !== undefined && byClient.count(clientId) >= options.perClient) {
      throw new ConnectError(
        `too many open watch streams for client "${clientId}": at most ${options.perClient} per client (${watchLimitSettings.perClient}); close one before opening another`,
        Code.ResourceExhausted,
      );
    }
    // The caller already left (during authentication): nothing to count.
    if (req.signal.aborted) throw ConnectError.from(req.signal.reason, Code.Canceled);

    byAddress.add(address);
    if (clientId !== undefined) byClient.add(clientId);
    options.onOpenWatchesChange?.(req.service.typeName, 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      req.signal.removeEventListener("abort", release);
      byAddress.remove(address);
      if (clientId !== undefined) byClient.remove(clientId);
      options.onOpenWatchesChange?.(req.service.typeName, -1);
    };
    // The call's signal aborts whenever the call ends, even if its stream is never read;
    // the stream's end covers the rest.
    req.signal.addEventListener("abort", release);
    let res;
    try {
      res = await next(req);
    } catch (err) {
      release();
      throw err;
    }
    if (!res.stream) {
      release();
      return res;
    }
    return { ...res, message: releasedAtEnd(res.message, release) } as StreamResponse;
  }
}

/** What an interceptor wraps: the next step of any call. */
type AnyCall = Parameters<Interceptor>[0];

async function* releasedAtEnd<T>(messages: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  try {
    yield* messages;
  } finally {
    release();
  }
}
