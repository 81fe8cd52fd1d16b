/**
 * Caps on open connections, per process and per client address, checked the
 * moment a TCP connection is accepted (before any TLS or HTTP work): a
 * connection over a cap is destroyed at once, so a flood cannot exhaust the
 * process's file descriptors and lock out everyone else, health checks
 * included. Refusals are reported at most once per window, never once per
 * refused connection.
 */
import type net from "node:net";
import { addressKey } from "../common/client-address.js";

/** Which cap refused a connection. */
export type RefusalReason = "process" | "address";

/** What the rate-limited report says: refusals since the last report, by cap. */
export interface RefusalReport {
  process: number;
  address: number;
  /** Open connections when the report was made. */
  open: number;
}

export interface ConnectionAdmissionOptions {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Called on the first refusal, then at most once per `reportIntervalMs` while refusals go on. */
  onRefused?: (report: RefusalReport) => void;
  /** Default 10 s. */
  reportIntervalMs?: number;
}

export interface ConnectionAdmission {
  /** Counts the socket until it closes and returns true, or destroys it and returns false when a cap is reached. */
  admit(socket: net.Socket): boolean;
  /** Open (admitted, not yet closed) connections. */
  count(): number;
}

/**
 * Creates the admission check. The per-address cap counts callers by `addressKey`: an IPv4 address (an
 * IPv4-mapped IPv6 address taken as its IPv4 form), or an IPv6 /64, so one host cannot multiply the cap by
 * switching among the addresses of its prefix.
 */
export function createConnectionAdmission(options: ConnectionAdmissionOptions): ConnectionAdmission {
  const perAddress = new Map<string, number>();
  const intervalMs = options.reportIntervalMs ?? 10_000;
  let open = 0;
  let pending: RefusalReport = { process: 0, address: 0, open: 0 };
  let timer: NodeJS.Timeout | undefined;

  const report = () => {
    if (pending.process + pending.address === 0) {
      timer = undefined; // a quiet window ends the reporting; the next refusal is reported at once
      return;
    }
    options.onRefused?.({ ...pending, open });
    pending = { process: 0, address: 0, open: 0 };
    timer = setTimeout(report, intervalMs).unref();
  };
  const refuse = (socket: net.Socket, reason: RefusalReason) => {
    socket.destroy();
    pending[reason] += 1;
    if (timer === undefined) report();
  };

  return {
    admit(socket) {
      if (socket.remoteAddress === undefined) {
        socket.destroy(); // already gone
        return false;
      }
      const address = addressKey(socket.remoteAddress);
      if (open >= options.maxConnections) {
        refuse(socket, "process");
        return false;
      }
      const fromAddress = perAddress.get(address) ?? 0;
      if (fromAddress >= options.maxConnectionsPerAddress) {
        refuse(socket, "address");
        return false;
      }
      open += 1;
      perAddress.set(address, fromAddress + 1);
      socket.once("close", () => {
        open -= 1;
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left === 0) perAddress.delete(address);
        else perAddress.set(address, left);
      });
      return true;
    },
    count: () => open,
  };
}
