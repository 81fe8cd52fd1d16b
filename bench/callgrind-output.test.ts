/** Reading callgrind dumps and writing the instruction section into RESULTS.md: pure functions, no valgrind needed. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { callgrindSelfCosts, callgrindTotal, occasionalWork } from "./callgrind-output.js";
import { renderInstructionSection, sectionEnd, sectionStart, spliceInstructionSection } from "./instructions-report.js";

// A small dump in callgrind's format: compressed names, a call whose inclusive cost (after `calls=`) is not self cost.
const dump = `# callgrind format
version: 1
creator: callgrind-3.19.0
positions: line
events: Ir
summary: 1000

ob=(1) /usr/bin/node
fl=(1) ???
fn=(1) main
0 100
cfn=(2) v8::internal::compiler::GraphReducer::ReduceTop()
calls=3 0
0 600
fn=(2)
0 600
fn=(3) v8::internal::MarkCompactCollector::CollectGarbage()
+2 250
fn=(4) Builtins_LoadIC
* 50

totals: 1000
`;

test("callgrindTotal reads the totals line, in the order of the events line", () => {
  assert.equal(callgrindTotal(dump), 1000);
  assert.equal(callgrindTotal("events: Ir Dr\nsummary: 10 20\n", "Dr"), 20);
  assert.equal(callgrindTotal("events: Ir Dr\ntotals: 10\n", "Dr"), 0); // a trailing zero is left out
  assert.throws(() => callgrindTotal("version: 1\n"), /no `events:` line/);
  assert.throws(() => callgrindTotal("events: Ir\nsummary: 5\n", "Bc"), /not Bc/);
});

test("callgrindSelfCosts sums self costs by name and leaves out the inclusive cost of calls", () => {
  const costs = callgrindSelfCosts(dump);
  assert.deepEqual(Object.fromEntries(costs), {
    main: 100,
    "v8::internal::compiler::GraphReducer::ReduceTop()": 600,
    "v8::internal::MarkCompactCollector::CollectGarbage()": 250,
    Builtins_LoadIC: 50,
  });
  assert.equal([...costs.values()].reduce((a, b) => a + b, 0), callgrindTotal(dump));
  assert.deepEqual(occasionalWork(costs), { compiler: 600, fullGc: 250 });
});

test("the instruction section replaces its previous version between its markers and nothing else", () => {
  const kept = "<!-- kept -->";
  // Instructions per call, times the 1 000 calls of a window.
  const sample = (row: string, perCall: number, compiler = 0) => ({ row, instructions: perCall * 1000, calls: 1000, compiler: compiler * 1000, fullGc: 0, seconds: 1 });
  const section = renderInstructionSection({
    startedAt: new Date("2026-11-29T12:00:00Z"),
    runSeconds: 60,
    nodeVersion: "v20",
    valgrindVersion: "valgrind-3.19.0",
    codeState: "commit abc",
    calls: 1000,
    repeats: 2,
    concurrency: 32,
    warmupCalls: 100,
    quick: false,
    rows: ["a", "b"],
    differences: [{ label: "a − b", minuend: "a", subtrahend: "b" }],
    samples: [sample("a", 510_000), sample("a", 512_000), sample("a", 900_000, 300_000), sample("b", 500_000), sample("b", 500_000)],
    failures: [],
  });
  assert.match(section, /\| a \| 511 000 \| 510 000, 512 000 \| ±0\.20 % \| 1 \(\+76 %\) \|/);
  assert.match(section, /\| a − b \| \+11 000 \| \+2\.20 % \|/);
  const first = spliceInstructionSection(`# Results\n\n${kept}\n\nother notes\n`, section, kept);
  assert.equal(first, `# Results\n\n${kept}\n\nother notes\n\n${section}`);
  const again = spliceInstructionSection(first + "\nlater notes\n", section.replace("511 000", "999 999"), kept);
  assert.equal(again.split(sectionStart).length, 2);
  assert.equal(again.split(sectionEnd).length, 2);
  assert.match(again, /999 999/);
  assert.match(again, /other notes[\s\S]*999 999[\s\S]*later notes/);
  assert.match(spliceInstructionSection("# Results\n", section, kept), new RegExp(`${kept}\\n\\n${sectionStart.slice(0, 20)}`));
});
