/**
 * The instruction benchmark's markdown: one table row per case (instructions
 * per call, median and spread over the windows), the differences the issue
 * asks for, and the splice that puts this section into bench/RESULTS.md
 * between its own markers, leaving every other section as it was.
 */
import { isSteady, steadyCompilerShare, steadyFullGcShare, steadyV8, type InstructionSample } from "./count-instructions.js";
import { num, spread } from "./stats.js";

export const sectionStart = "<!-- instructions per call (callgrind): written by `npm run bench:instructions`, replaced on each run -->";
export const sectionEnd = "<!-- end of instructions per call (callgrind) -->";

export interface InstructionReport {
  startedAt: Date;
  runSeconds: number;
  nodeVersion: string;
  valgrindVersion: string;
  codeState: string;
  calls: number;
  repeats: number;
  concurrency: number;
  warmupCalls: number;
  quick: boolean;
  rows: readonly string[];
  differences: readonly { label: string; minuend: string; subtrahend: string }[];
  samples: readonly InstructionSample[];
  /** Rows that could not be counted, with the reason. */
  failures: readonly { row: string; reason: string }[];
}

/** Instructions per call of each steady window of `row`. */
function perCall(samples: readonly InstructionSample[], row: string): number[] {
  return samples.filter((s) => s.row === row && isSteady(s)).map((s) => s.instructions / s.calls);
}

/** "2 (+41 %, +12 %)": the windows of `row` left out, and how much more than the steady median each counted. */
function leftOut(samples: readonly InstructionSample[], row: string, median: number): string {
  const others = samples.filter((s) => s.row === row && !isSteady(s));
  if (others.length === 0) return "0";
  if (!Number.isFinite(median)) return String(others.length);
  const more = others.map((s) => {
    const change = Math.round((s.instructions / s.calls / median - 1) * 100);
    return `${change < 0 ? "−" : "+"}${Math.abs(change)} %`;
  });
  return `${others.length} (${more.join(", ")})`;
}

/** The largest distance from the median to a window, as ± % of the median. */
function plusMinus(values: readonly number[]): string {
  const s = spread(values);
  if (values.length < 2) return "one window";
  const worst = Math.max(s.max - s.median, s.median - s.min) / s.median;
  return `±${(worst * 100).toFixed(2)} %`;
}

const instr = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US").replace(/,/g, " ") : "–");

/** The section, from its start marker to its end marker, ending with a newline. */
export function renderInstructionSection(report: InstructionReport): string {
  const lines = [sectionStart, "", "## Instructions per call (callgrind)", ""];
  lines.push(
    `${report.startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC, ${report.codeState}; Node ${report.nodeVersion}, ${report.valgrindVersion}; ` +
      `${report.quick ? "quick run (`--quick`), " : ""}${num(report.calls)} unary gRPC ListNotes calls (page_size 1) per window on one HTTP/2 connection, ` +
      `${report.concurrency} in flight, ${report.repeats} steady windows per row wanted, after ${num(report.warmupCalls)} uncounted warm-up calls per state; ` +
      `run took ${Math.round(report.runSeconds)} s.`,
    "",
    "Instructions executed by the server process (all its threads) between zeroing the counters before a window and dumping",
    "them after it, divided by the calls: the same on a busy or an idle machine. A window includes one connection set-up.",
    `Node runs with \`${steadyV8.join(" ")}\` (bench/count-instructions.ts), so V8 compiles and collects rarely and at the same`,
    `points in every run. The figures are the median of the steady windows: those in which V8's optimising compiler took under ${steadyCompilerShare * 100} %`,
    `of the instructions and its full (mark-compact) collections under ${steadyFullGcShare * 100} %. A window with more of either counts up to 70 % more;`,
    "such windows are listed as left out, with how much more they counted. Steady windows still differ by up to about 2 %:",
    "with 32 calls in flight, how many young-generation collections fall in a window and what survives them varies, and",
    "malloc with it.",
    "",
    "| case | instructions per call (median) | steady windows | spread | windows left out |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const row of report.rows) {
    const failure = report.failures.find((f) => f.row === row);
    const values = perCall(report.samples, row);
    if (failure !== undefined || values.length === 0) {
      lines.push(`| ${row} | not counted: ${failure?.reason ?? "no steady window"} | – | – | ${leftOut(report.samples, row, Number.NaN)} |`);
      continue;
    }
    const median = spread(values).median;
    lines.push(`| ${row} | ${instr(median)} | ${values.map(instr).join(", ")} | ${plusMinus(values)} | ${leftOut(report.samples, row, median)} |`);
  }
  lines.push("", "| difference | instructions per call | share of the second |", "| --- | --- | --- |");
  for (const d of report.differences) {
    const a = spread(perCall(report.samples, d.minuend)).median;
    const b = spread(perCall(report.samples, d.subtrahend)).median;
    const delta = a - b;
    const share = Number.isFinite(delta) ? `${delta >= 0 ? "+" : "−"}${Math.abs((delta / b) * 100).toFixed(2)} %` : "–";
    lines.push(`| ${d.label} | ${Number.isFinite(delta) ? `${delta >= 0 ? "+" : "−"}${instr(Math.abs(delta))}` : "–"} | ${share} |`);
  }
  lines.push("", sectionEnd, "");
  return lines.join("\n");
}

/**
 * `results` with `section` in place of the previous one (between the markers), or appended at the end when there is
 * none yet: after `keptMarker` (the part `npm run bench` keeps), which is added first if the file lacks it.
 */
export function spliceInstructionSection(results: string, section: string, keptMarker: string): string {
  const start = results.indexOf(sectionStart);
  const end = results.indexOf(sectionEnd);
  if (start >= 0 && end > start) {
    const after = results.slice(end + sectionEnd.length).replace(/^\n/, "");
    return results.slice(0, start) + section + after;
  }
  const kept = results.includes(keptMarker) ? results : `${results.replace(/\n*$/, "\n")}\n${keptMarker}\n`;
  return `${kept.replace(/\n*$/, "\n")}\n${section}`;
}
