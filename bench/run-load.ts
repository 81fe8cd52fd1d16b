/**
 * Runs the load generator as a child process against one server and adds what
 * only the parent can see: the server's CPU time over the measured window,
 * per call.
 */
import { spawn } from "node:child_process";
import type { LoadPlan, LoadReport } from "./load-plan.js";
import { cpuTimeMs, machineBusyMs } from "./proc-stats.js";
import { distPath } from "./server-process.js";

export interface Measurement extends LoadReport {
  /** Server CPU (user + system) in the measured window divided by the calls in it, in ms. */
  serverCpuMsPerCall: number;
  /** Server CPU in the window as a share of one core. */
  serverCpuShare: number;
  /**
   * CPU used in the window by everything else on the machine (neither the server nor the load generator), in
   * cores: high values mean the figures were taken on a busy machine.
   */
  otherCpuShare: number;
}

/**
 * Runs `node dist/bench/load-generator.js <plan>`, handing every JSON line it
 * writes to `onLine` as it arrives (`kill` stops the generator); resolves with
 * the exit code and stderr once it exits, killing it after `limitMs`.
 */
export async function runLoadGenerator(
  plan: LoadPlan,
  limitMs: number,
  onLine: (line: { event: string }, kill: () => void) => void,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [distPath("bench/load-generator.js"), JSON.stringify(plan)], { stdio: ["ignore", "pipe", "pipe"] });
  const kill = () => child.kill("SIGKILL");
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    let newline;
    while ((newline = stdout.indexOf("\n")) >= 0) {
      const line = JSON.parse(stdout.slice(0, newline)) as { event: string };
      stdout = stdout.slice(newline + 1);
      onLine(line, kill);
    }
  });
  const timer = setTimeout(kill, limitMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, stderr };
}

/**
 * Runs `plan` and measures the server process `serverPid` (or the sum of several: replicas sharing the load);
 * rejects if the generator fails or hangs.
 */
export async function runLoad(plan: LoadPlan, serverPid: number | readonly number[]): Promise<Measurement> {
  const pids = typeof serverPid === "number" ? [serverPid] : serverPid;
  const serverCpuMs = () => pids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0);
  let cpuAtStart: number | undefined;
  let cpuAtEnd: number | undefined;
  let machineAtStart = 0;
  let machineAtEnd = 0;
  let report: LoadReport | undefined;
  const limitMs = plan.warmupMs + (plan.calls === undefined ? plan.durationMs : 300_000) + 30_000;
  const { code, stderr } = await runLoadGenerator(plan, limitMs, (line) => {
    if (line.event === "measuring") {
      cpuAtStart = serverCpuMs();
      machineAtStart = machineBusyMs();
    }
    if (line.event === "done") {
      cpuAtEnd = serverCpuMs();
      machineAtEnd = machineBusyMs();
      report = line as LoadReport;
    }
  });
  if (code !== 0 || report === undefined || cpuAtStart === undefined || cpuAtEnd === undefined) {
    throw new Error(`the load generator failed (exit ${code}) against ${plan.url}${plan.path}: ${stderr.trim()}`);
  }
  const cpuMs = cpuAtEnd - cpuAtStart;
  const serverCpuShare = cpuMs / 1000 / report.seconds;
  return {
    ...report,
    serverCpuMsPerCall: report.calls === 0 ? Number.NaN : cpuMs / report.calls,
    serverCpuShare,
    otherCpuShare: Math.max(0, (machineAtEnd - machineAtStart) / 1000 / report.seconds - serverCpuShare - report.clientCpuShare),
  };
}
