/**
 * Wall time of short-lived commands, measured from this process: spawn to
 * exit, runs of the commands interleaved so that drift hits all alike.
 */
import { spawn } from "node:child_process";
import { spread, type Spread } from "./stats.js";

export interface Command {
  label: string;
  args: string[];
  env?: Record<string, string>;
}

/** One run's wall time in ms; rejects on a non-zero exit, with its stderr. */
export async function timeCommand(command: Command): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, command.args, { env: { ...process.env, ...command.env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`${command.label} exited with ${code}: ${stderr.trim()}`);
  return elapsed;
}

/** Runs each command `runs` times, interleaved (A B A B …), and summarises the wall times per command. */
export async function timeInterleaved(commands: readonly Command[], runs: number): Promise<Spread[]> {
  const times: number[][] = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [index, command] of commands.entries()) times[index]!.push(await timeCommand(command));
  }
  return times.map(spread);
}
