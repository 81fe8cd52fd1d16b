/**
 * What auth costs, measured where nothing else changes: one notes process,
 * one load-generator process, one HTTP/2 connection, and short windows in
 * which only the server's auth differs (switched by SIGUSR2 between windows,
 * see notes-with-auth-switch.ts). The order is on, off, off, on, on, off, …
 * so slow drift cancels, and each window is compared with its neighbour of
 * the other state. Separate runs, and above all separate processes, differ
 * by more than auth costs; this is the measurement the auth targets use.
 * Run with `switchAuth: false` it is an A/A control: the same windows with
 * auth on throughout, showing what the windows differ by on their own.
 * With `target` the same windows switch something else on another process
 * (the metrics row: its RPC metrics interceptor); "authOn" then means that on.
 */
import type { BenchSystem } from "./bench-system.js";
import type { LoadPlan, LoadWindowReport } from "./load-plan.js";
import type { ServerProcess } from "./server-process.js";
import { cpuTimeMs } from "./proc-stats.js";
import { grpcListNotes } from "./requests.js";
import { runLoadGenerator } from "./run-load.js";
import { pooledPercentile, spread, type Spread } from "./stats.js";

export interface AuthWindow extends LoadWindowReport {
  authOn: boolean;
  /** Server CPU (user + system) in the window divided by the calls in it, in ms. */
  serverCpuMsPerCall: number;
}

export interface AuthWindowsResult {
  concurrency: number;
  windowMs: number;
  windows: AuthWindow[];
}

/** Auth on for windows 0, 3, 4, 7, 8, …: on, off, off, on, on, off, off, on. */
export const authOnInWindow = (index: number) => index % 4 === 0 || index % 4 === 3;

/** A server whose one feature the windows switch: auth on `notes` by default. */
export interface SwitchedServer {
  server: ServerProcess;
  set(on: boolean): Promise<void>;
}

export async function measureAuthWindows(
  system: BenchSystem,
  options: { concurrency: number; count: number; windowMs: number; settleMs: number; warmupMs: number; switchAuth?: boolean; target?: SwitchedServer },
): Promise<AuthWindowsResult> {
  // switchAuth false: an A/A control, the same windows and labels with auth left on throughout.
  const switchAuth = options.switchAuth ?? true;
  const target = options.target ?? { server: system.notes, set: (on: boolean) => system.setNotesAuth(on) };
  const pid = target.server.pid;
  await target.set(true);
  const plan: LoadPlan = {
    ...grpcListNotes(target.server.url, system.token, 1, { concurrency: options.concurrency, warmupMs: options.warmupMs, durationMs: 0 }),
    windows: { count: options.count, windowMs: options.windowMs, settleMs: options.settleMs },
  };
  const windows: AuthWindow[] = [];
  let failure: unknown;
  let cpuAtStart = 0;
  // Switching is asynchronous (a signal); the generator's settle gap gives it time. Calls are serialised here.
  let switching = Promise.resolve();
  const limitMs = options.warmupMs + options.count * (options.windowMs + options.settleMs) + 30_000;
  const { code, stderr } = await runLoadGenerator(plan, limitMs, (line, kill) => {
    if (line.event === "window-start") cpuAtStart = cpuTimeMs(pid);
    if (line.event !== "window-end") return;
    const report = line as LoadWindowReport;
    const cpuMs = cpuTimeMs(pid) - cpuAtStart;
    windows.push({ ...report, authOn: authOnInWindow(report.index), serverCpuMsPerCall: report.calls === 0 ? Number.NaN : cpuMs / report.calls });
    const next = authOnInWindow(report.index + 1);
    if (switchAuth && report.index + 1 < options.count && next !== authOnInWindow(report.index)) {
      switching = switching.then(() => target.set(next)).catch((err: unknown) => {
        failure = err;
        kill();
      });
    }
  });
  await switching;
  await target.set(true);
  if (failure !== undefined) throw failure;
  if (code !== 0 || windows.length !== options.count) {
    throw new Error(`the load generator failed (exit ${code}) in window mode: ${stderr.trim()}`);
  }
  return { concurrency: options.concurrency, windowMs: options.windowMs, windows };
}

export interface AuthWindowsSummary {
  /** Windows per state. */
  windowsPerState: number;
  on: { callsPerSecond: Spread; cpuMsPerCall: Spread; p99Ms: number };
  off: { callsPerSecond: Spread; cpuMsPerCall: Spread; p99Ms: number };
  /** Per neighbouring pair of windows (2k, 2k+1: one on, one off): 1 − on/off calls/s. */
  throughputCost: Spread;
  /** Per pair: on/off server CPU per call − 1. */
  cpuCost: Spread;
  /** p99 of every call with auth on minus the same with auth off, in ms. */
  p99AddedMs: number;
}

export function summarizeAuthWindows(result: AuthWindowsResult): AuthWindowsSummary {
  const state = (authOn: boolean) => {
    const windows = result.windows.filter((w) => w.authOn === authOn);
    return {
      callsPerSecond: spread(windows.map((w) => w.callsPerSecond)),
      cpuMsPerCall: spread(windows.map((w) => w.serverCpuMsPerCall)),
      p99Ms: pooledPercentile(windows.map((w) => w.histogram), 99),
    };
  };
  const pairs: [AuthWindow, AuthWindow][] = [];
  for (let i = 0; i + 1 < result.windows.length; i += 2) {
    const [a, b] = [result.windows[i]!, result.windows[i + 1]!];
    pairs.push(a.authOn ? [a, b] : [b, a]);
  }
  const on = state(true);
  const off = state(false);
  return {
    windowsPerState: Math.floor(result.windows.length / 2),
    on,
    off,
    throughputCost: spread(pairs.map(([a, o]) => 1 - a.callsPerSecond / o.callsPerSecond)),
    cpuCost: spread(pairs.map(([a, o]) => a.serverCpuMsPerCall / o.serverCpuMsPerCall - 1)),
    p99AddedMs: on.p99Ms - off.p99Ms,
  };
}
