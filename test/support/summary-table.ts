/** Prints a markdown table of checks (case, expected, observed) into the test output. */
export function printSummary(title: string, rows: { case: string; expected: string; observed: string }[]): void {
  const widths = ["case", "expected", "observed"].map((key) => Math.max(key.length, ...rows.map((r) => r[key as keyof typeof r].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const out = [`\n${title}`, line(["case", "expected", "observed"]), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line([r.case, r.expected, r.observed]))];
  console.log(out.join("\n"));
}
