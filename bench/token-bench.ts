/**
 * `node dist-test/bench/main.js --only token [--quick]`: only the token
 * endpoint and JWKS rows, ours beside oidc-provider's, in the same
 * interleaved rounds as the full run, without the rest of the system (about
 * two minutes, or twenty seconds with --quick). Prints its own short report;
 * writes nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { startAuthProvider } from "./auth-provider-process.js";
import type { BenchSettings } from "./bench-settings.js";
import { measureRounds, warmUp } from "./load-cases.js";
import { startOidcProviderPeer } from "./oidc-provider-peer.js";
import type { ServerProcess } from "./server-process.js";
import { num } from "./stats.js";
import { tokenAudience, tokenCases, tokenScope } from "./token-cases.js";
import { tokenPeerTable, tokenPeerTargets } from "./token-peer-report.js";

/** Runs the token and JWKS rows and returns the report as markdown. */
export async function runTokenBench(settings: BenchSettings, progress: (text: string) => void): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "m2m-grpc-bench-"));
  const servers: ServerProcess[] = [];
  try {
    progress("starting the auth provider and oidc-provider");
    const { server: auth, credentials } = await startAuthProvider(dataDir);
    servers.push(auth);
    const oidcProvider = await startOidcProviderPeer(credentials, tokenAudience, [tokenScope]);
    servers.push(oidcProvider);
    const cases = tokenCases({ auth, oidcProvider, credentials }, settings);
    progress(`warm-up: ${cases.length} cases × ${settings.serverWarmupMs / 1000} s`);
    await warmUp(cases, settings);
    const results = await measureRounds(cases, settings, (loadCase, run, round) => {
      const errors = run.errors ? `, ${run.errors} errors (${run.errorSamples.join("; ")})` : "";
      progress(`round ${round + 1}: ${loadCase.label}: ${num(run.callsPerSecond)}/s, ${num(run.serverCpuMsPerCall, 3)} ms CPU/call${errors}`);
    });
    const targets = tokenPeerTargets(results)
      .map((t) => `- ${t.name}: ${t.measured}, ${t.met ? "met" : "**not met**"}`)
      .join("\n");
    return [
      `# Token endpoint and JWKS beside oidc-provider${settings.quick ? " (quick run)" : ""}`,
      "",
      `- ${new Date().toISOString()}, Node ${process.version}, ${cpus()[0]?.model.trim() ?? "unknown CPU"} × ${cpus().length}`,
      `- ${settings.rounds} round(s) of ${settings.throughputMs / 1000} s per case, pairs back to back, order rotated; ${settings.tokenConcurrency} keep-alive HTTP/1.1 connections`,
      "",
      tokenPeerTable(results),
      "",
      targets,
      "",
    ].join("\n");
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
