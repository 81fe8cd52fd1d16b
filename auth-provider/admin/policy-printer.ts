/**
 * The text form of the access policy report: per client, per granted
 * audience, the RPCs it can call; then the public RPCs and the problems. The
 * --check form prints only the verdict and the problems, for CI logs.
 */
import type { AccessPolicyReport, AudienceAccess } from "../policy/access-policy.js";

/** The report's lines (no trailing newlines). */
export function policyReportLines(report: AccessPolicyReport, options: { check: boolean }): string[] {
  if (options.check) return checkLines(report);
  const lines: string[] = [];
  for (const client of report.clients) {
    lines.push(client.disabled ? `client ${client.clientId} (disabled: calls nothing; its grants would allow)` : `client ${client.clientId}`);
    for (const access of client.audiences) {
      lines.push(`  ${access.audience}: ${access.grantedScopes.join(" ")}${sourceNote(access)}`);
      if (access.source !== "proto") continue;
      if (access.callableMethods.length === 0) lines.push("    (no RPC)");
      for (const method of access.callableMethods) lines.push(`    ${method}`);
    }
  }
  if (report.clients.length === 0) lines.push("no clients");
  const publicMethods = report.audiences.flatMap((a) => a.methods.filter((m) => m.public).map((m) => `  ${a.audience}: ${m.name}`));
  if (publicMethods.length > 0) lines.push("public RPCs (any caller, no token):", ...publicMethods);
  lines.push(...problemLines(report));
  return lines;
}

function checkLines(report: AccessPolicyReport): string[] {
  if (report.problems.length > 0) return problemLines(report);
  const rpcs = report.audiences.reduce((n, a) => n + a.methods.length, 0);
  const clients = report.clients.length;
  return [`policy check passed: every grant is needed and every RPC has a caller (${clients} client${clients === 1 ? "" : "s"}, ${rpcs} RPCs)`];
}

function problemLines(report: AccessPolicyReport): string[] {
  if (report.problems.length === 0) return ["no problems"];
  return [`problems (${report.problems.length}):`, ...report.problems.map((p) => `  - ${p.message}`)];
}

function sourceNote(access: AudienceAccess): string {
  if (access.source === "configured") return "  (configured audience: its RPCs are not known here)";
  if (access.source === "unknown") return "  (not in the catalog: no RPC here needs it)";
  return "";
}
