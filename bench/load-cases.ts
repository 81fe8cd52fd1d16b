/**
 * The load cases measured in rounds: every server and protocol answering the
 * same read (ListNotes, page_size 1) under concurrency, the same read one call
 * at a time, and the token endpoint. Rounds run every case in a rotated order,
 * so slow drift (thermal, other tenants) spreads over all cases alike, and
 * each case with auth runs right next to the same case with auth off, on the
 * same process.
 */
import type { BenchSystem } from "./bench-system.js";
import type { BenchSettings } from "./bench-settings.js";
import type { LoadPlan } from "./load-plan.js";
import { connectListNotes, grpcListNotes, grpcListNotesDpop, restListNotes, type LoadShape } from "./requests.js";
import { runLoad, type Measurement } from "./run-load.js";
import type { PostgresReplicas } from "./postgres-replicas.js";
import type { ServerProcess } from "./server-process.js";
import { tokenCases } from "./token-cases.js";

export type CaseId =
  | "grpc-auth"
  | "grpc-no-auth"
  | "grpc-auth-control"
  | "grpc-dpop"
  | "grpc-auth-logged"
  | "grpc-auth-metrics"
  | "connect-auth"
  | "connect-no-auth"
  | "grpc-auth-adapter"
  | "connect-auth-adapter"
  | "rest"
  | "grpc-js"
  | "grpc-js-guard"
  | "token"
  | "token-oidc-provider"
  | "jwks"
  | "jwks-oidc-provider"
  | "grpc-auth-serial"
  | "grpc-no-auth-serial"
  | "grpc-auth-pg"
  | "grpc-auth-pg-2";

export interface LoadCase {
  id: CaseId;
  label: string;
  /** "throughput": many calls in flight; "latency": one at a time. */
  group: "throughput" | "latency";
  server: ServerProcess;
  /** Processes whose CPU the case counts, when the load is spread over several (replicas); default `server`. */
  pids?: readonly number[];
  /** Runs before every measurement of the case: puts the server in the state the case needs (auth on or off). */
  before?: () => Promise<void>;
  concurrency: number;
  plan(shape: LoadShape): LoadPlan;
}

export interface CaseResult {
  case: LoadCase;
  runs: Measurement[];
}

/** The cases, in their first-round order; with `pg`, also authenticated gRPC on one and on two PostgreSQL replicas. */
export function loadCases(system: BenchSystem, settings: BenchSettings, pg?: PostgresReplicas): LoadCase[] {
  const { token } = system;
  const c = settings.concurrency;
  const noAuth = system.authSwitchable ? "auth off" : "auth off (not honoured: auth still on)";
  const { notes, notesControl, notesAdapter, notesLogged, notesMetrics, rest, grpcJs, grpcJsGuard } = system;
  // One notes process serves both the "auth" and the "auth off" cases: its auth is switched before each.
  const authOn = { before: () => system.setNotesAuth(true) };
  const authOff = { before: () => system.setNotesAuth(false) };
  const loaded = (id: CaseId, label: string, server: ServerProcess, plan: LoadCase["plan"], concurrency = c, state = {}): LoadCase => ({
    id,
    label,
    group: "throughput",
    server,
    concurrency,
    plan,
    ...state,
  });
  const serial = (id: CaseId, label: string, server: ServerProcess, plan: LoadCase["plan"], state = {}): LoadCase => ({
    id,
    label,
    group: "latency",
    server,
    concurrency: 1,
    plan,
    ...state,
  });
  return [
    loaded("grpc-auth", "notes, gRPC, auth", notes, (s) => grpcListNotes(notes.url, token, 1, s), c, authOn),
    // Same process and load generator as "notes, gRPC, auth"; the proofs are signed before the calls start.
    loaded("grpc-dpop", "DPoP-bound gRPC ListNotes (notes, auth, a fresh proof per call)", notes, (s) => grpcListNotesDpop(notes.url, system.dpop.token, system.dpop.privateJwk, 1, s), c, authOn),
    loaded("grpc-no-auth", `notes, gRPC, ${noAuth}`, notes, (s) => grpcListNotes(notes.url, token, 1, s), c, authOff),
    loaded("grpc-auth-control", "notes, gRPC, auth (a second instance: control)", notesControl, (s) => grpcListNotes(notesControl.url, token, 1, s)),
    // A separate process (notes-with-metrics-switch.ts, its metrics left on here): compare with the control, another process.
    loaded("grpc-auth-metrics", "notes, gRPC, auth, metrics on", notesMetrics, (s) => grpcListNotes(notesMetrics.url, token, 1, s), c, { before: () => system.setNotesMetrics(true) }),
    loaded("grpc-auth-logged", "notes, gRPC, auth, a log line per call", notesLogged, (s) => grpcListNotes(notesLogged.url, token, 1, s)),
    loaded("connect-auth", "notes, Connect (HTTP/2), auth", notes, (s) => connectListNotes(notes.url, token, 1, s), c, authOn),
    loaded("connect-no-auth", `notes, Connect (HTTP/2), ${noAuth}`, notes, (s) => connectListNotes(notes.url, token, 1, s), c, authOff),
    // The same service with every call through connect-node's adapter (SERVICE_UNARY_FAST_PATH=0): what the fast path saves.
    loaded("grpc-auth-adapter", "notes, gRPC, auth, fast path off (SERVICE_UNARY_FAST_PATH=0)", notesAdapter, (s) => grpcListNotes(notesAdapter.url, token, 1, s)),
    loaded("connect-auth-adapter", "notes, Connect (HTTP/2), auth, fast path off", notesAdapter, (s) => connectListNotes(notesAdapter.url, token, 1, s)),
    loaded("rest", `2a REST design: express + jose, HTTP/1.1 ×${c}`, rest, (s) => restListNotes(rest.url, token, 1, s)),
    loaded("grpc-js", "2b plain grpc-js, no auth", grpcJs, (s) => grpcListNotes(grpcJs.url, undefined, 1, s)),
    loaded("grpc-js-guard", "2b grpc-js + guard", grpcJsGuard, (s) => grpcListNotes(grpcJsGuard.url, token, 1, s)),
    // Ours beside oidc-provider's: the token endpoint and the JWKS (token-cases.ts).
    ...tokenCases(system, settings),
    serial("grpc-auth-serial", "notes, gRPC, auth", notes, (s) => grpcListNotes(notes.url, token, 1, s), authOn),
    serial("grpc-no-auth-serial", `notes, gRPC, ${noAuth}`, notes, (s) => grpcListNotes(notes.url, token, 1, s), authOff),
    ...(pg === undefined ? [] : postgresCases(pg, token, c)),
  ];
}

/** Authenticated gRPC ListNotes on PostgreSQL: one replica, then two with the calls spread over both. */
function postgresCases(pg: PostgresReplicas, token: string, concurrency: number): LoadCase[] {
  const [a, b] = pg.replicas;
  return [
    { id: "grpc-auth-pg", label: "notes on PostgreSQL, gRPC, auth, one replica", group: "throughput", server: a, concurrency, plan: (s) => grpcListNotes(a.url, token, 1, s) },
    {
      id: "grpc-auth-pg-2",
      label: "notes on PostgreSQL, gRPC, auth, two replicas (calls spread over both)",
      group: "throughput",
      server: a,
      pids: [a.pid, b.pid],
      concurrency,
      plan: (s) => ({ ...grpcListNotes(a.url, token, 1, s), extraUrls: [b.url] }),
    },
  ];
}

/** Loads every case once for `serverWarmupMs`, results discarded. */
export async function warmUp(cases: readonly LoadCase[], settings: BenchSettings): Promise<void> {
  for (const loadCase of cases) {
    const shape = { concurrency: loadCase.concurrency, warmupMs: settings.serverWarmupMs, durationMs: 200 };
    await loadCase.before?.();
    await runLoad(loadCase.plan(shape), loadCase.pids ?? loadCase.server.pid);
  }
}

/**
 * Cases measured back to back in every round, so their per-round figures can
 * be compared in pairs: each service with auth against auth off, and (for
 * gRPC) against a second identical service with auth, the control: what two
 * identical servers differ by is the noise floor of every comparison here.
 * Running them together cancels drift between rounds (another tenant, CPU
 * frequency) that would otherwise swamp a difference of a few percent.
 */
export const pairedGroups: readonly (readonly CaseId[])[] = [
  ["grpc-auth", "grpc-dpop", "grpc-no-auth", "grpc-auth-control", "grpc-auth-metrics"],
  ["connect-auth", "connect-no-auth"],
  ["grpc-auth-serial", "grpc-no-auth-serial"],
  ["grpc-auth-pg", "grpc-auth-pg-2"],
  ["token", "token-oidc-provider"],
  ["jwks", "jwks-oidc-provider"],
];

/** The cases grouped into units run back to back: the paired groups, and every other case on its own. */
function runUnits(results: CaseResult[]): CaseResult[][] {
  const byId = (id: CaseId) => results.find((r) => r.case.id === id);
  const grouped = new Set(pairedGroups.flat());
  const units: CaseResult[][] = [];
  for (const result of results) {
    const group = pairedGroups.find(([first]) => first === result.case.id);
    if (group) units.push(group.map(byId).filter((r): r is CaseResult => r !== undefined));
    else if (!grouped.has(result.case.id)) units.push([result]);
  }
  return units;
}

/**
 * Runs `settings.rounds` rounds of every case. The order of units is rotated
 * by one each round, and the cases of a group run in reverse order every
 * other round, so none always runs first. `onRun` sees each measurement (progress).
 */
export async function measureRounds(
  cases: readonly LoadCase[],
  settings: BenchSettings,
  onRun: (loadCase: LoadCase, run: Measurement, round: number) => void,
): Promise<CaseResult[]> {
  const results = cases.map((loadCase) => ({ case: loadCase, runs: [] as Measurement[] }));
  const units = runUnits(results);
  for (let round = 0; round < settings.rounds; round++) {
    for (let i = 0; i < units.length; i++) {
      const unit = units[(i + round) % units.length]!;
      for (const result of round % 2 === 0 ? unit : [...unit].reverse()) {
        const { concurrency, group } = result.case;
        const durationMs = group === "latency" ? settings.latencyMs : settings.throughputMs;
        await result.case.before?.();
        const run = await runLoad(result.case.plan({ concurrency, warmupMs: settings.clientWarmupMs, durationMs }), result.case.pids ?? result.case.server.pid);
        result.runs.push(run);
        onRun(result.case, run, round);
      }
    }
  }
  return results;
}
