/**
 * The code a benchmark measured, for its report: the commit, and which
 * top-level directories had uncommitted changes (bench/ itself left out).
 */
import { spawnSync } from "node:child_process";

/** "commit abc1234, with uncommitted changes in notes, service-runtime", or "not a git checkout". */
export function codeState(): string {
  const git = (...args: string[]) => spawnSync("git", args, { encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.status !== 0) return "not a git checkout";
  const changed = new Set(
    git("status", "--porcelain")
      .stdout.split("\n")
      .filter((line) => line.length > 3)
      .map((line) => line.slice(3).split("/")[0]!),
  );
  changed.delete("bench");
  return `commit ${head.stdout.trim()}${changed.size ? `, with uncommitted changes in ${[...changed].sort().join(", ")}` : ""}`;
}
