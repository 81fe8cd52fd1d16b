/**
 * `auth-admin policy`: the access policy report (policy/access-policy.ts) for
 * the registered clients and this environment's scope catalog, and the
 * `--check` verdict CI runs on.
 */
import { CliError } from "../../common/cli-error.js";
import { buildAccessPolicyReport, type AccessPolicyReport } from "../policy/access-policy.js";
import type { AdminDataDir } from "./admin-data-dir.js";

/** Who can call which RPC, and the problems, for every registered client. */
export async function accessPolicy(dir: AdminDataDir): Promise<AccessPolicyReport> {
  return buildAccessPolicyReport(dir.settings.catalog, await dir.store.clients.list());
}

/** The error `policy --check` exits with (kind policy, exit 7) when the report has problems; undefined when none. */
export function policyCheckFailure(report: AccessPolicyReport): CliError | undefined {
  const count = report.problems.length;
  if (count === 0) return undefined;
  return new CliError("policy", `policy check failed: ${count} problem${count === 1 ? "" : "s"}`);
}
