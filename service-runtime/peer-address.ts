/**
 * The network address of the caller, as a per-call context value. Handlers and
 * interceptors see only Connect's request, not Node's, so the address is read
 * from the Node request when the call arrives (connectNodeAdapter's
 * `contextValues`) and travels with the call under `kPeerAddress`.
 *
 * It is the address of the TCP peer: behind a proxy, the proxy's. Forwarding
 * headers (X-Forwarded-For) are not trusted; any caller can write them.
 * Per-address limits count it by `addressKey` (common/client-address.ts), which
 * groups an IPv6 caller by its /64; the value here stays the exact address.
 */
import { createContextKey, type ContextValues } from "@connectrpc/connect";
import type { RequestWithSocket } from "../interceptor/peer-certificate-thumbprint.js";
import { createCallValues } from "./call-values.js";

/** The caller's IP address (IPv4-mapped IPv6 addresses as plain IPv4); undefined when Node does not know it. */
export const kPeerAddress = createContextKey<string | undefined>(undefined, { description: "the caller's network address" });

/**
 * The context values of a new call: `kPeerAddress` set from the request's
 * socket. Pass as connectNodeAdapter's `contextValues` option.
 */
export function peerContextValues(req: RequestWithSocket): ContextValues {
  const values = createCallValues();
  const address = peerAddressOf(req);
  if (address !== undefined) values.set(kPeerAddress, address);
  return values;
}

/** The remote address of the request's connection, or undefined once the connection is gone. */
export function peerAddressOf(req: RequestWithSocket): string | undefined {
  let address: string | undefined;
  try {
    // An HTTP/2 request's socket is a proxy that throws once its session is destroyed.
    address = (req.socket as { remoteAddress?: string } | null)?.remoteAddress;
  } catch {
    return undefined;
  }
  return address?.startsWith("::ffff:") && address.includes(".") ? address.slice("::ffff:".length) : address;
}
