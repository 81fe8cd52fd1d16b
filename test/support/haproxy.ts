/**
 * A real HAProxy (cluster/haproxy.ts; Debian package `haproxy`, installed by
 * .ci/run) in front of service replicas, for failover tests. Outside CI a
 * machine without haproxy skips the tests that need it, saying what to
 * install; in CI (CI set) they fail instead.
 */
import { haproxyBinary, runHaproxy, type RunningHaproxy } from "../../cluster/haproxy.js";
import { freePort } from "./processes.js";

export type { RunningHaproxy } from "../../cluster/haproxy.js";

/** Why HAProxy tests cannot run here, or undefined when they can. Throws in CI, where they must run. */
export function missingHaproxy(): string | undefined {
  if (haproxyBinary() !== undefined) return undefined;
  const reason = "haproxy is not installed (apt-get install haproxy)";
  if (process.env["CI"]) throw new Error(`CI must run the load-balancer tests: ${reason}`);
  return reason;
}

/** Starts HAProxy on a free port in front of the service replicas on `backendPorts`; resolves once it accepts connections. */
export async function startHaproxy(backendPorts: readonly number[]): Promise<RunningHaproxy> {
  return runHaproxy([{ name: "replicas", port: await freePort(), backendPorts, check: "grpc-health" }]);
}
