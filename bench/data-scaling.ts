/**
 * Case 5: does a list page get slower as the table grows? Two notes services
 * with their own databases (small and large, filled before they start) answer
 * one ListNotes page of 50, one call at a time: the first page, and a page in
 * the middle (with a page token, the keyset path).
 */
import { encodePageToken } from "../service-runtime/pagination.js";
import type { BenchSettings } from "./bench-settings.js";
import type { BenchSystem } from "./bench-system.js";
import { grpcListNotes, type LoadShape } from "./requests.js";
import { runLoad, type Measurement } from "./run-load.js";
import { noteCursorAt } from "./seed-notes.js";
import type { ServerProcess } from "./server-process.js";

const pageSize = 50;

export interface ScalingResult {
  notes: number;
  firstPage: Measurement[];
  middlePage: Measurement[];
}

export async function measureDataScaling(system: BenchSystem, settings: BenchSettings): Promise<ScalingResult[]> {
  const started: ServerProcess[] = [];
  try {
    const targets = [];
    for (const count of settings.scalingNotes) {
      const { server, dataDir } = await system.startSeededNotes(`notes with ${count} notes`, count);
      started.push(server);
      // The page token the service would hand out after the note just before the middle.
      const middleToken = encodePageToken(noteCursorAt(dataDir, count / 2 - 1), "notes");
      targets.push({ count, server, middleToken, result: { notes: count, firstPage: [], middlePage: [] } as ScalingResult });
    }
    const plans = targets.flatMap((t) => [
      { t, runs: t.result.firstPage, plan: (s: LoadShape) => grpcListNotes(t.server.url, system.token, pageSize, s) },
      { t, runs: t.result.middlePage, plan: (s: LoadShape) => grpcListNotes(t.server.url, system.token, pageSize, s, t.middleToken) },
    ]);
    for (const p of plans) await runLoad(p.plan({ concurrency: 1, warmupMs: settings.serverWarmupMs / 2, durationMs: 200 }), p.t.server.pid);
    for (let round = 0; round < settings.rounds; round++) {
      for (let i = 0; i < plans.length; i++) {
        const p = plans[(i + round) % plans.length]!;
        p.runs.push(await runLoad(p.plan({ concurrency: 1, warmupMs: settings.clientWarmupMs, durationMs: settings.latencyMs }), p.t.server.pid));
      }
    }
    return targets.map((t) => t.result);
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}
