/**
 * Counts the instructions one server executes per call: the server runs under
 * callgrind (callgrind-server.ts), is warmed up with instrumentation off, and
 * then each measured window is a fresh load-generator run of exactly
 * `calls` unary gRPC ListNotes calls on one HTTP/2 connection, with the
 * counters zeroed before it and dumped after it. Nothing else runs on the
 * server in a window except its own timers, so a window's count divided by
 * its calls is the cost of a call (plus one connection set-up spread over
 * the calls). V8 keeps re-optimising code for thousands of calls after any
 * warm-up, and a window in which it does counts up to 70 % more, so windows
 * go on until each row has enough steady ones (isSteady). For a server that
 * switches auth, the windows go on, off, off, on, … so both states see the
 * same history.
 */
import { authOnInWindow } from "./auth-windows.js";
import { callgrindSelfCosts, callgrindTotal, occasionalWork } from "./callgrind-output.js";
import { startCallgrindServer, type CallgrindServer } from "./callgrind-server.js";
import type { InstructionContext, InstructionRow, InstructionServer } from "./instruction-cases.js";
import { grpcListNotes } from "./requests.js";
import { runLoadGenerator } from "./run-load.js";
import type { LoadReport } from "./load-plan.js";
import { answersWithoutToken, freePort } from "./server-process.js";

export interface InstructionSettings {
  /** Calls in each measured window. */
  calls: number;
  /** Steady windows wanted for each row (see isSteady); windows stop at four times as many in all. */
  repeats: number;
  /** Calls in each auth state before counting starts (instrumentation off), to warm V8's JIT and the caches. */
  warmupCalls: number;
  /** Calls kept in flight on the connection. */
  concurrency: number;
}

/** One measured window of one row. */
export interface InstructionSample {
  row: string;
  instructions: number;
  calls: number;
  /** Instructions of V8's optimising compiler in the window (see callgrind-output.ts). */
  compiler: number;
  /** Instructions of V8's full (mark-compact) collections in the window. */
  fullGc: number;
  /** Wall time of the window under callgrind, in s (for the run's duration, not a figure to read). */
  seconds: number;
}

/**
 * A window counts as steady when V8's optimising compiler took under `steadyCompilerShare` of it and its full
 * collections under `steadyFullGcShare`. Steady windows have about 0.1 % of compiler work; one recompilation adds
 * 1–70 % to a window of 1 000 calls, and windows with even 0.7 % counted 2 % more than the steady ones. Full
 * collections are part of a server's steady cost when it allocates more (0.1 % of the fast path's windows, 0.3 % of
 * the adapter's, every window alike); a window that holds an unusual one counts several percent more.
 */
export const steadyCompilerShare = 0.003;
export const steadyFullGcShare = 0.01;

export const isSteady = (sample: InstructionSample) =>
  sample.compiler < steadyCompilerShare * sample.instructions && sample.fullGc < steadyFullGcShare * sample.instructions;

/** The token each window sends, and the context the server's environment comes from. */
export interface InstructionTarget extends InstructionContext {
  token: string;
  /** Where callgrind writes its dumps. */
  outDir: string;
}

/**
 * V8 flags that make its occasional work rarer and put it at the same points in every run: compile and collect on
 * the main thread; no memory reducer (it starts full collections when the load pauses between windows); no flushing
 * of code that has not run lately (it comes back as recompilation); room in the old space, so full collections are
 * rare. They change when V8 does this work, not the code it runs for a call.
 */
export const steadyV8 = ["--single-threaded", "--no-memory-reducer", "--no-flush-bytecode", "--no-flush-baseline-code", "--initial-old-space-size=512"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs exactly `calls` ListNotes calls (page_size 1) on one new connection and checks that all succeeded. */
async function runCalls(server: CallgrindServer, token: string | undefined, calls: number, concurrency: number): Promise<void> {
  const plan = grpcListNotes(server.url, token, 1, { concurrency, warmupMs: 0, durationMs: 0, calls });
  let report: LoadReport | undefined;
  // Under instrumentation a call takes milliseconds; allow 100 ms each.
  const { code, stderr } = await runLoadGenerator(plan, 60_000 + calls * 100, (line) => {
    if (line.event === "done") report = line as LoadReport;
  });
  if (code !== 0 || report === undefined) throw new Error(`the load generator failed (exit ${code}) against ${server.name}: ${stderr.trim()}\n${server.tail()}`);
  if (report.errors > 0 || report.calls !== calls) {
    throw new Error(`${server.name}: ${report.calls} of ${calls} calls succeeded, ${report.errors} failed (${report.errorSamples.join("; ")})`);
  }
}

/** Switches a notes-with-auth-switch server's auth with SIGUSR2 and waits until a call shows it. */
async function setAuth(server: CallgrindServer, on: boolean, current: { on: boolean }): Promise<void> {
  if (current.on === on) return;
  process.kill(server.pid, "SIGUSR2");
  for (let i = 0; i < 300; i++) {
    if ((await answersWithoutToken(server.url)) === !on) {
      current.on = on;
      return;
    }
    await sleep(100);
  }
  throw new Error(`${server.name} did not turn auth ${on ? "on" : "off"} after SIGUSR2`);
}

/**
 * Starts `spec` under callgrind, counts windows of its `rows` in turn until each row has `settings.repeats` steady
 * ones (or four times as many windows in all were counted), and stops it. Every window is returned, steady or not.
 */
export async function countInstructions(
  spec: InstructionServer,
  rows: readonly InstructionRow[],
  target: InstructionTarget,
  settings: InstructionSettings,
  progress: (text: string) => void,
): Promise<InstructionSample[]> {
  const port = await freePort();
  progress(`${spec.id}: starting under valgrind`);
  const server = await startCallgrindServer({ name: spec.id, entry: spec.entry, port, env: spec.env(target, port), ready: spec.ready, outDir: target.outDir, nodeFlags: steadyV8 });
  const auth = { on: true };
  const tokenFor = (row: InstructionRow) => (row.sendsToken ? target.token : undefined);
  try {
    // Each window's row: auth on, off, off, on, … for a server that switches auth, else its rows in turn.
    const rowOf = (index: number) => (spec.switchesAuth ? rows.find((row) => row.authOn === authOnInWindow(index)) : rows[index % rows.length]);
    progress(`${spec.id}: warm-up, ${settings.warmupCalls} calls per state, not counted`);
    for (const row of rows) {
      if (spec.switchesAuth) await setAuth(server, row.authOn, auth);
      await runCalls(server, tokenFor(row), settings.warmupCalls, settings.concurrency);
    }
    server.instrument(true);
    const samples: InstructionSample[] = [];
    const steadyOf = (row: InstructionRow) => samples.filter((s) => s.row === row.label && isSteady(s)).length;
    for (let index = 0; index < settings.repeats * rows.length * 4; index++) {
      const row = rowOf(index);
      if (row === undefined) throw new Error(`${spec.id}: no row for window ${index}`);
      if (rows.every((r) => steadyOf(r) >= settings.repeats)) break;
      if (steadyOf(row) >= settings.repeats) continue;
      if (spec.switchesAuth) await setAuth(server, row.authOn, auth);
      await sleep(200); // let the switch's own check call finish before zeroing
      server.zero();
      const startedAt = performance.now();
      await runCalls(server, tokenFor(row), settings.calls, settings.concurrency);
      await sleep(200); // the connection's close, so each window holds one whole connection
      const dump = await server.dumpText();
      const work = occasionalWork(callgrindSelfCosts(dump));
      const sample = { row: row.label, instructions: callgrindTotal(dump), calls: settings.calls, compiler: work.compiler, fullGc: work.fullGc, seconds: (performance.now() - startedAt) / 1000 };
      samples.push(sample);
      const perCall = (n: number) => Math.round(n / settings.calls).toLocaleString("en-US");
      const note = `${isSteady(sample) ? "steady" : "not steady"}: V8 compiler ${perCall(work.compiler)}, full GC ${perCall(work.fullGc)} per call`;
      progress(`${row.label}: ${perCall(sample.instructions)} instructions per call (${note}; ${sample.seconds.toFixed(0)} s)`);
    }
    return samples;
  } finally {
    await server.stop();
  }
}
