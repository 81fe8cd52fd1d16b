/**
 * `npm run bench:instructions` (issue 17, part 4): instructions per call,
 * counted by valgrind's callgrind, a measure the machine's noise does not
 * move. Starts the real auth provider (not under valgrind) for a token, then
 * each server of instruction-cases.ts in turn under callgrind, counts its
 * rows (count-instructions.ts), prints the table and writes it into
 * bench/RESULTS.md between its own markers. `--quick` counts fewer calls, on
 * the notes service only (auth on and off), for a day-to-day check, and writes nothing; `--keep-dumps` keeps callgrind's
 * files for `callgrind_annotate` and says where they are. Without valgrind it
 * says which Debian package to install and exits 0.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readAssistantCredentials, requestToken } from "../test/support/tokens.js";
import { notesAudience } from "./bench-system.js";
import { callgrindMissing } from "./callgrind-server.js";
import { codeState } from "./code-state.js";
import { countInstructions, type InstructionSample, type InstructionSettings } from "./count-instructions.js";
import { instructionDifferences, instructionRows, instructionServers } from "./instruction-cases.js";
import { renderInstructionSection, spliceInstructionSection } from "./instructions-report.js";
import { seedNotes } from "./seed-notes.js";
import { freePort, startServer } from "./server-process.js";

const resultsPath = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
/** The line of RESULTS.md from which `npm run bench` keeps the text (bench/main.ts). */
const keptMarker = "<!-- Everything from this line on is kept when `npm run bench` rewrites this file. -->";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const keepDumps = argv.includes("--keep-dumps");
/** Quick: a check that the counts still come out, in about a quarter of the time. */
const settings: InstructionSettings = quick
  ? { calls: 500, repeats: 2, warmupCalls: 2000, concurrency: 32 }
  : { calls: 1000, repeats: 3, warmupCalls: 4000, concurrency: 32 };

const began = performance.now();
const progress = (text: string) => process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${text}\n`);

async function main(): Promise<void> {
  const missing = callgrindMissing();
  if (missing !== undefined) {
    process.stderr.write(`bench:instructions skipped: ${missing}\n`);
    return;
  }
  const startedAt = new Date();
  const code = codeState();
  const dataDir = mkdtempSync(join(tmpdir(), "m2m-grpc-instructions-"));
  const outDir = mkdtempSync(join(tmpdir(), "m2m-grpc-callgrind-"));
  const authPort = await freePort();
  const issuer = `http://127.0.0.1:${authPort}/auth`;
  progress(`starting the auth provider (${quick ? "quick run" : "full run"}: ${settings.calls} calls per window, ${settings.repeats} steady windows per row wanted)`);
  const samples: InstructionSample[] = [];
  const failures: { row: string; reason: string }[] = [];
  let auth: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    auth = await startServer({
      name: "auth-provider",
      entry: "auth-provider/main.js",
      port: authPort,
      env: { AUTH_PORT: String(authPort), AUTH_HOST: "127.0.0.1", AUTH_ISSUER: issuer, DATA_DIR: dataDir, LOG_LEVEL: "warn" },
      ready: async (url) => (await fetch(`${url}/auth/jwt/jwks.json`)).ok,
    });
    const token = await requestToken(auth.url, readAssistantCredentials(dataDir), notesAudience, "note.read");
    seedNotes(dataDir, 20);
    const target = { dataDir, issuer, jwksUrl: `${issuer}/jwt/jwks.json`, token, outDir };
    for (const server of instructionServers) {
      const rows = instructionRows.filter((row) => row.server === server.id);
      if (quick && server.id !== "notes") {
        for (const row of rows) failures.push({ row: row.label, reason: "left out of the quick run" });
        continue;
      }
      try {
        samples.push(...(await countInstructions(server, rows, target, settings, progress)));
      } catch (err) {
        // One server that fails under valgrind leaves the others' rows standing.
        const reason = err instanceof Error ? err.message.split("\n")[0]! : String(err);
        progress(`${server.id}: not counted: ${err instanceof Error ? err.message : String(err)}`);
        for (const row of rows) failures.push({ row: row.label, reason });
      }
    }
  } finally {
    await auth?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (keepDumps) progress(`callgrind's dumps are in ${outDir} (callgrind_annotate <file>)`);
    else rmSync(outDir, { recursive: true, force: true });
  }
  const section = renderInstructionSection({
    startedAt,
    runSeconds: (performance.now() - began) / 1000,
    nodeVersion: process.version,
    valgrindVersion: spawnSync("valgrind", ["--version"], { encoding: "utf8" }).stdout.trim(),
    codeState: code,
    ...settings,
    quick,
    rows: instructionRows.map((row) => row.label),
    differences: instructionDifferences,
    samples,
    failures,
  });
  process.stdout.write(section);
  if (quick) progress("quick run: bench/RESULTS.md left as it was");
  else {
    const previous = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
    writeFileSync(resultsPath, spliceInstructionSection(previous, section, keptMarker));
    progress("written to bench/RESULTS.md (section \"Instructions per call (callgrind)\")");
  }
  if (samples.length === 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:instructions: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
