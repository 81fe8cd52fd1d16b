/** The connection caps with stand-in sockets: per process, per address key (an IPv6 caller by its /64), freed on close. */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type net from "node:net";
import { test } from "node:test";
import { createConnectionAdmission, type RefusalReport } from "./connection-admission.js";

/** Just what admission touches: the remote address, destroy(), and the "close" event. */
function fakeSocket(remoteAddress: string | undefined) {
  const socket = Object.assign(new EventEmitter(), {
    remoteAddress,
    destroyed: false,
    destroy() {
      socket.destroyed = true;
      socket.emit("close");
    },
  });
  return socket;
}
const asSocket = (s: ReturnType<typeof fakeSocket>) => s as unknown as net.Socket;

test("one caller per address key: IPv6 addresses of one /64 and the spellings of one IPv4 address share the cap", () => {
  const reports: RefusalReport[] = [];
  const admission = createConnectionAdmission({ maxConnections: 100, maxConnectionsPerAddress: 2, onRefused: (r) => reports.push(r) });
  const cases: [address: string, admitted: boolean][] = [
    ["2001:db8:0:1::1", true],
    ["2001:db8:0:1::2", true],
    ["2001:db8:0:1:ffff::3", false], // third of the same /64
    ["2001:db8:0:2::1", true], // another /64
    ["127.0.0.1", true],
    ["::ffff:127.0.0.1", true],
    ["::ffff:7f00:1", false], // third from 127.0.0.1
  ];
  const sockets = cases.map(([address, admitted]) => {
    const socket = fakeSocket(address);
    assert.equal(admission.admit(asSocket(socket)), admitted, address);
    assert.equal(socket.destroyed, !admitted, address);
    return socket;
  });
  assert.equal(admission.count(), 5);
  assert.deepEqual(reports, [{ process: 0, address: 1, open: 2 }]); // the first refusal at once, the next one a window later

  sockets[0]!.destroy(); // frees one slot of 2001:db8:0:1::/64
  assert.equal(admission.count(), 4);
  assert.equal(admission.admit(asSocket(fakeSocket("2001:db8:0:1::99"))), true);
});

test("the process cap refuses any address; a socket without an address is dropped uncounted", () => {
  const admission = createConnectionAdmission({ maxConnections: 1, maxConnectionsPerAddress: 5, onRefused: () => {} });
  assert.equal(admission.admit(asSocket(fakeSocket("192.0.2.1"))), true);
  assert.equal(admission.admit(asSocket(fakeSocket("192.0.2.2"))), false);
  const gone = fakeSocket(undefined);
  assert.equal(admission.admit(asSocket(gone)), false);
  assert.equal(gone.destroyed, true);
  assert.equal(admission.count(), 1);
});
