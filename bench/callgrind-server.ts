/**
 * A benchmark server run under `valgrind --tool=callgrind`, counting the
 * instructions it executes only while asked to. It starts with
 * instrumentation off (`--instr-atstart=no`: valgrind then runs Node a few
 * times slower instead of fifty), so start-up and warm-up cost little;
 * `callgrind_control` switches instrumentation on, zeroes the counters before
 * a measured window and dumps them after it. V8's generated code needs no
 * extra flag: valgrind's default `--smc-check=all-non-file` on x86-64 already
 * notices code written into anonymous memory, which is where V8 puts it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { distPath, spawnServer } from "./server-process.js";

export interface CallgrindServer {
  readonly name: string;
  readonly pid: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Turns callgrind's instrumentation on or off (off: nothing is counted, and the process runs faster). */
  instrument(on: boolean): void;
  /** Zeroes the counters: the next `dumpInstructions()` counts from here. */
  zero(): void;
  /** Dumps the counters and returns the dump: the costs since the last zero or dump (all threads), see callgrind-output.ts. */
  dumpText(): Promise<string>;
  /** The last lines of its output (valgrind's and the server's), for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after 30 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface StartCallgrindServerOptions {
  name: string;
  /** Compiled entry point under dist-test/, e.g. "bench/notes-with-auth-switch.js". */
  entry: string;
  port: number;
  env: Record<string, string | undefined>;
  /** Resolves true once the server answers. */
  ready: (url: string) => Promise<boolean>;
  /** Where callgrind writes its dumps (callgrind.out.PID.N). */
  outDir: string;
  /** Flags for node itself, before the entry point. */
  nodeFlags?: readonly string[];
  /** Default 180 s: start-up under valgrind takes 10–30 times as long as without. */
  timeoutMs?: number;
}

/** Why the instruction benchmark cannot run here, or undefined when valgrind and callgrind_control are on PATH. */
export function callgrindMissing(): string | undefined {
  for (const tool of ["valgrind", "callgrind_control"]) {
    const probe = spawnSync(tool, ["--version"], { encoding: "utf8" });
    if (probe.error !== undefined || probe.status !== 0) {
      return `${tool} is not on PATH: install the Debian package \`valgrind\` (apt-get install valgrind) to count instructions per call`;
    }
  }
  return undefined;
}

/** Runs `callgrind_control <args> <pid>`; throws with its output when it fails. */
function callgrindControl(pid: number, ...args: string[]): void {
  const result = spawnSync("callgrind_control", [...args, String(pid)], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`callgrind_control ${args.join(" ")} ${pid} failed: ${(result.stderr || result.stdout).trim()}`);
}

/** Starts `valgrind --tool=callgrind node dist-test/<entry>` and waits until `ready` says it answers. */
export async function startCallgrindServer(options: StartCallgrindServerOptions): Promise<CallgrindServer> {
  const outFile = join(options.outDir, "callgrind.out");
  const args = ["--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${outFile}.%p`, process.execPath, ...(options.nodeFlags ?? []), distPath(options.entry)];
  const { child, url, tail, stop } = await spawnServer("valgrind", args, {
    ...options,
    name: `${options.name} (under valgrind)`,
    timeoutMs: options.timeoutMs ?? 180_000,
    pollMs: 200,
    stopGraceMs: 30_000,
  });
  const pid = child.pid!;
  let dumps = 0;
  return {
    name: options.name,
    pid,
    url,
    instrument: (on) => callgrindControl(pid, "--instr", on ? "on" : "off"),
    zero: () => callgrindControl(pid, "--zero"),
    async dumpText() {
      callgrindControl(pid, "--dump");
      const file = `${outFile}.${pid}.${++dumps}`;
      // callgrind_control returns once the command is delivered; the file may still be being written.
      for (let i = 0; i < 600; i++) {
        if (existsSync(file)) {
          const text = readFileSync(file, "utf8");
          if (/^totals:/m.test(text)) return text; // the last line callgrind writes
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${options.name}: callgrind wrote no dump ${file}:\n${tail()}`);
    },
    tail,
    stop,
  };
}
