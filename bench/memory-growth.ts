/**
 * Case 6: does the notes service hold on to memory? A notes service of its
 * own is warmed up, then answers `memoryCalls` calls (in two halves) and
 * `watchStreams` watch streams opened and cancelled; its RSS is read after
 * each step. Growth that stops after the first half is heap sizing, growth
 * that goes on is a leak.
 */
import type { BenchSettings } from "./bench-settings.js";
import type { BenchSystem } from "./bench-system.js";
import { rssMiB } from "./proc-stats.js";
import { grpcListNotes, watchNotes } from "./requests.js";
import { runLoad } from "./run-load.js";

export interface MemoryResult {
  idleMiB: number;
  afterWarmupMiB: number;
  afterHalfMiB: number;
  afterMiB: number;
  /** Calls answered after the warm-up. */
  calls: number;
  watchStreams: number;
  errors: number;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));

export async function measureMemoryGrowth(system: BenchSystem, settings: BenchSettings, progress: (text: string) => void): Promise<MemoryResult> {
  const { server } = await system.startSeededNotes("notes (memory)", settings.seededNotes);
  try {
    const idleMiB = rssMiB(server.pid);
    await runLoad(grpcListNotes(server.url, system.token, 1, { concurrency: settings.concurrency, warmupMs: settings.serverWarmupMs, durationMs: 200 }), server.pid);
    await settle();
    const afterWarmupMiB = rssMiB(server.pid);
    const half = Math.ceil(settings.memoryCalls / 2);
    let calls = 0;
    let errors = 0;
    const afterCalls = async (count: number) => {
      progress(`memory: ${count} calls`);
      const shape = { concurrency: settings.concurrency, warmupMs: 0, durationMs: 0, calls: count };
      const run = await runLoad(grpcListNotes(server.url, system.token, 1, shape), server.pid);
      calls += run.totalCalls;
      errors += run.errors;
      await settle();
      return rssMiB(server.pid);
    };
    const afterHalfMiB = await afterCalls(half);
    await afterCalls(settings.memoryCalls - half);
    progress(`memory: ${settings.watchStreams} watch streams opened and cancelled`);
    const watchShape = { concurrency: settings.concurrency, warmupMs: 0, durationMs: 0, calls: settings.watchStreams };
    const watch = await runLoad(watchNotes(server.url, system.token, watchShape), server.pid);
    await settle(); // let the service finish closing the streams
    return { idleMiB, afterWarmupMiB, afterHalfMiB, afterMiB: rssMiB(server.pid), calls, watchStreams: watch.totalCalls, errors: errors + watch.errors };
  } finally {
    await server.stop();
  }
}
