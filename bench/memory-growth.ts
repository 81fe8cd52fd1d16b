/**
 * Case 6: does the notes service hold on to memory? A notes service of its
 * own is warmed up, then answers `memoryCalls` calls in three phases (a
 * quarter, a half, a quarter) with `watchStreams` watch streams opened and
 * cancelled before the last. RSS is sampled every 100 ms during each phase
 * and read once more after it settles.
 *
 * A single RSS reading lands anywhere on the garbage collector's sawtooth
 * (about ±10 % on this service), so the verdict compares the median RSS while
 * serving the last quarter of the calls with the median while serving the
 * first quarter: the same load, before and after everything else. Growth that
 * goes on from phase to phase is a leak; a step after the first is heap sizing.
 */
import type { BenchSettings } from "./bench-settings.js";
import type { BenchSystem } from "./bench-system.js";
import type { LoadPlan } from "./load-plan.js";
import { rssMiB } from "./proc-stats.js";
import { grpcListNotes, watchNotes } from "./requests.js";
import { runLoad } from "./run-load.js";
import { num, spread, type Spread } from "./stats.js";

export interface MemoryPhase {
  label: string;
  /** RSS in MiB sampled every 100 ms while the phase ran. */
  during: Spread;
  /** RSS in MiB 2 s after the phase ended. */
  settledMiB: number;
}

export interface MemoryResult {
  idleMiB: number;
  /** Warm-up, the first quarter of the calls, the middle half, the watch streams, the last quarter. */
  phases: MemoryPhase[];
  /** Calls answered after the warm-up. */
  calls: number;
  watchStreams: number;
  errors: number;
}

const samplingMs = 100;
const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));

export async function measureMemoryGrowth(system: BenchSystem, settings: BenchSettings, progress: (text: string) => void): Promise<MemoryResult> {
  const { server } = await system.startSeededNotes("notes (memory)", settings.seededNotes);
  try {
    const idleMiB = rssMiB(server.pid);
    const phases: MemoryPhase[] = [];
    let calls = 0;
    let watchStreams = 0;
    let errors = 0;
    const phase = async (label: string, plan: LoadPlan) => {
      progress(`memory: ${label}`);
      const samples: number[] = [];
      const sampler = setInterval(() => samples.push(rssMiB(server.pid)), samplingMs);
      try {
        const run = await runLoad(plan, server.pid);
        errors += run.errors;
        if (plan.kind === "watch") watchStreams += run.totalCalls;
        else if (plan.calls !== undefined) calls += run.totalCalls;
      } finally {
        clearInterval(sampler);
      }
      await settle();
      phases.push({ label, during: spread(samples), settledMiB: rssMiB(server.pid) });
    };
    const c = settings.concurrency;
    const callPlan = (count: number) => grpcListNotes(server.url, system.token, 1, { concurrency: c, warmupMs: 0, durationMs: 0, calls: count });
    const quarter = Math.ceil(settings.memoryCalls / 4);
    const middle = settings.memoryCalls - 2 * quarter;

    await phase(`warm-up (${settings.serverWarmupMs / 1000} s of calls)`, grpcListNotes(server.url, system.token, 1, { concurrency: c, warmupMs: settings.serverWarmupMs, durationMs: 200 }));
    await phase(`calls 1–${num(quarter)}`, callPlan(quarter));
    await phase(`calls ${num(quarter + 1)}–${num(quarter + middle)}`, callPlan(middle));
    await phase(`${num(settings.watchStreams)} watch streams opened and cancelled`, watchNotes(server.url, system.token, { concurrency: c, warmupMs: 0, durationMs: 0, calls: settings.watchStreams }));
    await phase(`calls ${num(quarter + middle + 1)}–${num(settings.memoryCalls)}`, callPlan(quarter));
    return { idleMiB, phases, calls, watchStreams, errors };
  } finally {
    await server.stop();
  }
}
