/** addressKey: the per-caller key of IPv4, IPv4-mapped and other IPv6 addresses, table-driven. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { addressKey } from "./client-address.js";

const cases: [what: string, address: string | undefined, key: string][] = [
  ["IPv4 as is", "192.0.2.1", "192.0.2.1"],
  ["IPv4 loopback", "127.0.0.1", "127.0.0.1"],
  ["IPv4-mapped, dotted", "::ffff:192.0.2.1", "192.0.2.1"],
  ["IPv4-mapped, hex words", "::ffff:7f00:1", "127.0.0.1"],
  ["IPv4-mapped, written out", "0:0:0:0:0:ffff:7f00:1", "127.0.0.1"],
  ["IPv4-mapped, upper case", "::FFFF:C000:0201", "192.0.2.1"],
  ["IPv6 by its /64", "2001:db8:0:1:aaaa:bbbb:cccc:dddd", "2001:db8:0:1::/64"],
  ["IPv6, another host of the same /64", "2001:db8:0:1::1", "2001:db8:0:1::/64"],
  ["IPv6, the next /64", "2001:db8:0:2::1", "2001:db8:0:2::/64"],
  ["IPv6 with an embedded dotted tail", "1:2::3:4:5:1.2.3.4", "1:2:0:3::/64"],
  ["the same address in hex words", "1:2:0:3:4:5:102:304", "1:2:0:3::/64"],
  ["IPv6 upper case and leading zeros", "2001:0DB8:0000:0001::0001", "2001:db8:0:1::/64"],
  ["IPv6 loopback", "::1", "::/64"],
  ["IPv6 link-local with a zone id", "fe80::1%eth0", "fe80::/64"],
  ["no address", undefined, "unknown"],
  ["an empty address", "", "unknown"],
  ["not an address at all", "not-an-ip", "not-an-ip"],
];

for (const [what, address, key] of cases) {
  test(`addressKey: ${what} (${String(address)}) is ${key}`, () => {
    assert.equal(addressKey(address), key);
  });
}

test("addressKey: every spelling of one IPv4-mapped address and its IPv4 form share a key", () => {
  const spellings = ["127.0.0.1", "::ffff:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:ffff:7f00:0001", "::FFFF:127.0.0.1"];
  assert.deepEqual(new Set(spellings.map(addressKey)), new Set(["127.0.0.1"]));
});
