/**
 * Header fields that Node's HTTP/2 client will not send itself (a second
 * `authorization` field, say): an HTTP/2 connection that appends HPACK
 * literals to the header block of every request. Used by
 * duplicate-authorization.test.ts and unary-fast-path.test.ts.
 */
import assert from "node:assert/strict";
import type net from "node:net";
import { Duplex } from "node:stream";

/** HPACK (RFC 7541 §5.1) integer with a 7-bit prefix, the first byte's high bit (Huffman) clear. */
export function hpackLength(n: number): Buffer {
  if (n < 127) return Buffer.from([n]);
  const bytes = [127];
  for (n -= 127; n >= 128; n >>= 7) bytes.push((n & 127) | 128);
  bytes.push(n);
  return Buffer.from(bytes);
}

/** "Literal header field without indexing, new name" (RFC 7541 §6.2.2): changes neither side's dynamic table. */
export function hpackLiteral(name: string, value: string): Buffer {
  const [n, v] = [Buffer.from(name, "latin1"), Buffer.from(value, "latin1")];
  return Buffer.concat([Buffer.from([0]), hpackLength(n.length), n, hpackLength(v.length), v]);
}

/**
 * An HTTP/2 connection for Node's client (`createConnection`) that appends `extra` (HPACK) to the header block
 * of every HEADERS frame the client sends on its own streams; everything else passes through unchanged.
 */
export function appendingHttp2Connection(socket: net.Socket, extra: Buffer): Duplex {
  let pending = Buffer.alloc(0);
  let prefaceLeft = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
  const duplex = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      pending = Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      if (prefaceLeft > 0) {
        const n = Math.min(prefaceLeft, pending.length);
        out.push(pending.subarray(0, n));
        pending = pending.subarray(n);
        prefaceLeft -= n;
      }
      while (prefaceLeft === 0 && pending.length >= 9 && pending.length >= 9 + pending.readUIntBE(0, 3)) {
        const length = pending.readUIntBE(0, 3);
        const frame = pending.subarray(0, 9 + length);
        pending = pending.subarray(9 + length);
        const [type, flags, stream] = [frame[3]!, frame[4]!, frame.readUInt32BE(5) & 0x7fffffff];
        if (type !== 0x1 || stream % 2 !== 1) {
          out.push(frame);
          continue;
        }
        assert.ok(flags & 0x4, "a header block in one frame (END_HEADERS)");
        let payload = frame.subarray(9);
        if (flags & 0x8) payload = payload.subarray(1, payload.length - payload[0]!); // drop padding
        payload = Buffer.concat([payload, extra]);
        const header = Buffer.from(frame.subarray(0, 9));
        header.writeUIntBE(payload.length, 0, 3);
        header[4] = flags & ~0x8;
        out.push(header, payload);
      }
      if (out.length === 0) callback();
      else socket.write(Buffer.concat(out), callback);
    },
    read() {
      socket.resume();
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  socket.on("data", (data: Buffer) => {
    if (!duplex.push(data)) socket.pause();
  });
  socket.on("end", () => duplex.push(null));
  socket.on("error", (err) => duplex.destroy(err));
  return duplex;
}
