/**
 * Our token endpoint and JWKS against oidc-provider's, from the same rounds
 * (each pair runs back to back, so a round's ratio compares like with like):
 * a side-by-side table and the issue-17 targets (tokens/s ≥ 1.2× the peer's,
 * JWKS requests/s ≥ the peer's).
 */
import type { CaseId, CaseResult } from "./load-cases.js";
import { num, spread, withRange, type Spread } from "./stats.js";
import { oidcProviderVersion } from "./token-cases.js";

/** A target with this run's figure; the same shape as the report's own targets. */
export interface PeerTarget {
  name: string;
  measured: string;
  met: boolean;
}

const pairs = [
  { what: "token endpoint (tokens/s)", ours: "token", peer: "token-oidc-provider", target: 1.2 },
  { what: "JWKS (requests/s)", ours: "jwks", peer: "jwks-oidc-provider", target: 1 },
] as const satisfies readonly { what: string; ours: CaseId; peer: CaseId; target: number }[];

function runsOf(cases: readonly CaseResult[], id: CaseId) {
  return cases.find((c) => c.case.id === id)?.runs ?? [];
}

/** Ours over the peer's calls/s, round by round. */
function ratio(cases: readonly CaseResult[], ours: CaseId, peer: CaseId): Spread {
  const peerRuns = runsOf(cases, peer);
  return spread(runsOf(cases, ours).flatMap((run, round) => (peerRuns[round] === undefined ? [] : [run.callsPerSecond / peerRuns[round]!.callsPerSecond])));
}

const ratioText = (s: Spread) => (s.min === s.max ? `${s.median.toFixed(2)}×` : `${s.median.toFixed(2)}× (rounds ${s.min.toFixed(2)}–${s.max.toFixed(2)}×)`);

/** The side-by-side table: calls/s and server CPU per call of both, and the ratio by round. */
export function tokenPeerTable(cases: readonly CaseResult[]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const header = ["endpoint", "ours: calls/s", "ours: CPU ms/call", `oidc-provider ${oidcProviderVersion}: calls/s`, "its CPU ms/call", "ours ÷ its calls/s"];
  const rows = pairs.map(({ what, ours, peer }) => {
    const figures = (id: CaseId) => {
      const runs = runsOf(cases, id);
      return [withRange(spread(runs.map((m) => m.callsPerSecond)), 0), withRange(spread(runs.map((m) => m.serverCpuMsPerCall)), 3)];
    };
    return line([what, ...figures(ours), ...figures(peer), ratioText(ratio(cases, ours, peer))]);
  });
  return [line(header), line(header.map(() => "---")), ...rows].join("\n");
}

/** The issue-17 targets, judged on the median of the per-round ratios. */
export function tokenPeerTargets(cases: readonly CaseResult[]): PeerTarget[] {
  return pairs.map(({ what, ours, peer, target }) => {
    const r = ratio(cases, ours, peer);
    return { name: `${what} ≥ ${target === 1 ? "" : `${target}× `}oidc-provider's`, measured: ratioText(r) + ` (${num(spread(runsOf(cases, ours).map((m) => m.callsPerSecond)).median)} vs ${num(spread(runsOf(cases, peer).map((m) => m.callsPerSecond)).median)})`, met: r.median >= target };
  });
}
