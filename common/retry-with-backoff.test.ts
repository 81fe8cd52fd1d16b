/** retryWithBackoff: doubling delays with ±20 % jitter from an injected random source, progress resets, abort ends it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelay, retryWithBackoff, withJitter } from "./retry-with-backoff.js";

test("nominal delays double from the first up to the cap", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 1000, 30_000)), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

const jitterCases: [random: number, delay: number][] = [
  [0, 800], // the low end: -20 %
  [0.25, 900],
  [0.5, 1000], // the middle: no change
  [0.75, 1100],
  [0.999_999, 1200], // the high end: +20 % (random() never reaches 1)
];
for (const [random, delay] of jitterCases) {
  test(`jitter 0.2 with random() = ${random} waits ${delay} ms instead of 1000 ms`, () => {
    assert.equal(withJitter(1000, 0.2, () => random), delay);
  });
}

test("each failure is reported with its jittered wait and its number; the task runs until it succeeds", async () => {
  const randoms = [0, 0.5, 0.999_999];
  const reports: [string, number, number][] = [];
  let runs = 0;
  const ok = await retryWithBackoff(
    async () => {
      runs += 1;
      if (runs <= 3) throw new Error(`failure ${runs}`);
    },
    {
      signal: new AbortController().signal,
      firstDelayMs: 10,
      maxDelayMs: 25,
      random: () => randoms.shift()!,
      onFailure: (err, delay, attempt) => reports.push([(err as Error).message, delay, attempt]),
    },
  );
  assert.equal(ok, true);
  assert.equal(runs, 4);
  // nominal 10, 20, 25 (capped); random 0 → -20 %, 0.5 → ±0, 0.999999 → +20 %
  assert.deepEqual(reports, [["failure 1", 8, 1], ["failure 2", 20, 2], ["failure 3", 30, 3]]);
});

test("progress() starts the backoff over at the first delay, as attempt 1", async () => {
  const reports: [number, number][] = [];
  let runs = 0;
  await retryWithBackoff(
    async (progress) => {
      runs += 1;
      if (runs === 3) progress();
      if (runs < 5) throw new Error("down");
    },
    { signal: new AbortController().signal, firstDelayMs: 1, maxDelayMs: 100, jitter: 0, onFailure: (_err, delay, attempt) => reports.push([delay, attempt]) },
  );
  assert.deepEqual(reports, [[1, 1], [2, 2], [1, 1], [2, 2]]);
});

test("aborting during a wait ends it at once with false; a failure while aborting is not reported", async () => {
  const abort = new AbortController();
  let failures = 0;
  const started = Date.now();
  const result = retryWithBackoff(
    async () => {
      throw new Error("down");
    },
    { signal: abort.signal, firstDelayMs: 60_000, maxDelayMs: 60_000, onFailure: () => (failures += 1) },
  );
  setTimeout(() => abort.abort(), 20);
  assert.equal(await result, false);
  assert.ok(Date.now() - started < 5000, "the 60 s wait was cut short");
  assert.equal(failures, 1);

  const aborting = new AbortController();
  const quiet = await retryWithBackoff(
    async () => {
      aborting.abort();
      throw new Error("cancelled");
    },
    { signal: aborting.signal, onFailure: () => assert.fail("reported a failure caused by the abort") },
  );
  assert.equal(quiet, false);
});

test("bad options are a TypeError", async () => {
  const signal = new AbortController().signal;
  const onFailure = () => {};
  await assert.rejects(retryWithBackoff(async () => {}, { signal, onFailure, firstDelayMs: 0 }), TypeError);
  await assert.rejects(retryWithBackoff(async () => {}, { signal, onFailure, firstDelayMs: 10, maxDelayMs: 5 }), TypeError);
  await assert.rejects(retryWithBackoff(async () => {}, { signal, onFailure, jitter: 1 }), TypeError);
});
