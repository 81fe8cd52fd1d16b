/**
 * How long and how hard each part of the benchmark runs: the full run
 * (`npm run bench`, about eleven minutes on two cores) or `--quick` (under two
 * minutes, one round: a smoke test of the benchmark itself, not figures to quote).
 */

export interface BenchSettings {
  quick: boolean;
  /** `--only token`: only the token endpoint and JWKS rows beside oidc-provider (bench/token-bench.ts). */
  only: "token" | undefined;
  /** Rounds of every throughput and latency case, interleaved. */
  rounds: number;
  /** Load on each case once before the first round, to warm the servers' JIT and caches. */
  serverWarmupMs: number;
  /** Load at the start of every measurement, not counted (connection set-up, client JIT). */
  clientWarmupMs: number;
  /** Measured window of each throughput case per round. */
  throughputMs: number;
  /** Measured window of each one-call-at-a-time case per round. */
  latencyMs: number;
  /** Calls kept in flight for the RPC and REST cases. */
  concurrency: number;
  /** Calls kept in flight at the token endpoint. */
  tokenConcurrency: number;
  /** Notes in the database of the main notes service. */
  seededNotes: number;
  /** Stored notes of the data-scaling case: the small and the large database. */
  scalingNotes: [number, number];
  /** Runs of the CLI and of `node -e 0`, each. */
  cliRuns: number;
  /** Calls served by the notes service before its RSS is read again (topped up after the rounds). */
  memoryCalls: number;
  /** Watch streams opened and cancelled before that reading. */
  watchStreams: number;
  /** Auth switched off and on between windows on one connection (bench/auth-windows.ts): windows with 32 in flight and one at a time. */
  authWindows: { loaded: number; serial: number; windowMs: number; settleMs: number };
}

export function benchSettings(argv: readonly string[]): BenchSettings {
  const quick = argv.includes("--quick");
  const only = onlyPart(argv);
  const common = { quick, only, concurrency: 32, tokenConcurrency: 16, seededNotes: 20, scalingNotes: [1_000, 100_000] as [number, number] };
  if (quick) {
    return {
      ...common,
      // Under 2 minutes on two shared cores (issue 17): shorter warm-up, windows and memory run, a smaller large database.
      rounds: 1,
      serverWarmupMs: 300,
      clientWarmupMs: 200,
      throughputMs: 1000,
      latencyMs: 500,
      cliRuns: 3,
      memoryCalls: 6_000,
      watchStreams: 100,
      scalingNotes: [1_000, 20_000],
      authWindows: { loaded: 8, serial: 8, windowMs: 400, settleMs: 100 },
    };
  }
  return {
    ...common,
    rounds: 7,
    serverWarmupMs: 3000,
    clientWarmupMs: 500,
    throughputMs: 3000,
    latencyMs: 2000,
    cliRuns: 15,
    memoryCalls: 100_000,
    watchStreams: 1000,
    authWindows: { loaded: 80, serial: 40, windowMs: 1000, settleMs: 150 },
  };
}

// The part named by `--only`, if any; throws for a part that cannot run alone.
function onlyPart(argv: readonly string[]): BenchSettings["only"] {
  const at = argv.indexOf("--only");
  if (at < 0) return undefined;
  if (argv[at + 1] === "token") return "token";
  throw new Error(`--only ${argv[at + 1] ?? ""}: the only part that runs alone is "token"`);
}
