/**
 * The key a caller is counted under by every per-address limit (connections,
 * watch streams, failed logins): one key per IPv4 address, and one per IPv6
 * /64. An IPv6 host usually holds a whole /64 (SLAAC, privacy addresses), so
 * counting single IPv6 addresses would let one machine multiply each cap by
 * switching source addresses. IPv4-mapped IPv6 (`::ffff:10.0.0.1`, however it
 * is spelled) is the IPv4 caller it stands for.
 */
import ipaddr from "ipaddr.js";

/** The key of callers whose address Node does not know (a socket already gone). */
export const unknownAddressKey = "unknown";

/** Bits of an IPv6 address that name the caller's network: a /64 is what one site or host is handed. */
const ipv6PrefixBits = 64;

/**
 * The key `address` (a socket's `remoteAddress`) is counted under: an IPv4 address in dotted decimal
 * ("192.0.2.1"); an IPv4-mapped IPv6 address as its IPv4 address ("::ffff:7f00:1" is "127.0.0.1"); any other
 * IPv6 address as its /64 in RFC 5952 form ("2001:db8:0:1::/64"), zone id dropped; "unknown" for undefined or
 * an empty string. Never throws: a string that is not an IP address is its own key.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === "") return unknownAddressKey;
  let key = recentKeys.get(address);
  if (key === undefined) {
    if (recentKeys.size >= maxRecentKeys) recentKeys.clear();
    key = computeAddressKey(address);
    recentKeys.set(address, key);
  }
  return key;
}

// Keys of recently seen addresses: a busy caller is parsed once, not on every request (ipaddr.js parses each time).
const recentKeys = new Map<string, string>();
const maxRecentKeys = 4096;

function computeAddressKey(address: string): string {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return address;
  }
  if (parsed.kind() === "ipv4") return parsed.toString();
  const ipv6 = parsed as ipaddr.IPv6;
  if (ipv6.isIPv4MappedAddress()) return ipv6.toIPv4Address().toString();
  const words = ipv6PrefixBits / 16;
  const network = new ipaddr.IPv6([...ipv6.parts.slice(0, words), ...new Array<number>(8 - words).fill(0)]);
  return `${network.toRFC5952String()}/${ipv6PrefixBits}`;
}
