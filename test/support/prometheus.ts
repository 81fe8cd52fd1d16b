/**
 * A real Prometheus (Debian package `prometheus`, installed by .ci/run) for
 * tests: it scrapes the given /metrics URLs every second, keeps its data in a
 * temporary directory, listens on a free loopback port and is asked through
 * its HTTP API. Outside CI a machine without prometheus skips the tests that
 * need it, saying what to install; in CI (CI set) they fail instead.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "./processes.js";

/** The `prometheus` program on PATH, or undefined. */
export function prometheusBinary(): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "prometheus");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Why Prometheus tests cannot run here, or undefined when they can. Throws in CI, where they must run. */
export function missingPrometheus(): string | undefined {
  if (prometheusBinary() !== undefined) return undefined;
  const reason = "prometheus is not installed (apt-get install prometheus)";
  if (process.env["CI"]) throw new Error(`CI must run the Prometheus test: ${reason}`);
  return reason;
}

/** One scrape job: its name (the `job` label) and the URL of a /metrics endpoint. */
export interface ScrapeTarget {
  readonly job: string;
  readonly url: string;
}

/** One series of an instant query's answer: its labels and its value (NaN and ±Inf as numbers). */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface RunningPrometheus {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Everything Prometheus wrote (its log). */
  readonly output: string[];
  /** An instant query (GET /api/v1/query) evaluated now; throws on an API error or a result that is not a vector. */
  query(promql: string): Promise<Sample[]>;
  /** Resolves once every job has been scraped successfully at least `count` times after `since` (epoch ms). */
  scrapedAfter(since: number, count?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The configuration: every second, one job per target, nothing but scraping. */
export function prometheusConfig(targets: readonly ScrapeTarget[]): string {
  const lines = ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "  evaluation_interval: 1s", "scrape_configs:"];
  for (const target of targets) {
    const url = new URL(target.url);
    lines.push(
      `  - job_name: ${JSON.stringify(target.job)}`,
      `    scheme: ${url.protocol.replace(":", "")}`,
      `    metrics_path: ${JSON.stringify(url.pathname)}`,
      "    static_configs:",
      `      - targets: [${JSON.stringify(url.host)}]`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Starts Prometheus scraping `targets`; resolves once GET /-/ready answers 200. */
export async function startPrometheus(targets: readonly ScrapeTarget[]): Promise<RunningPrometheus> {
  const binary = prometheusBinary();
  if (binary === undefined) throw new Error("prometheus is not installed (apt-get install prometheus)");
  const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, prometheusConfig(targets));
  // The port was free a moment ago; another process may take it first, so try a few.
  let lastFailure: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await run(binary, dir, config, targets, await freePort());
    } catch (err) {
      lastFailure = err as Error;
      if (!/address already in use/.test(lastFailure.message)) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastFailure!;
}

async function run(binary: string, dir: string, config: string, targets: readonly ScrapeTarget[], port: number): Promise<RunningPrometheus> {
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => output.push(...chunk.split("\n").filter((line) => line !== "")));
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    if (!stopped) rmSync(dir, { recursive: true, force: true });
    stopped = true;
  };
  const deadline = Date.now() + 30_000;
  while (!(await ready(url))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      throw new Error(`prometheus did not start:\n${output.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const query = async (promql: string): Promise<Sample[]> => {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== "success" || body.data === undefined) throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
    if (body.data.resultType !== "vector") throw new Error(`query ${promql} gave a ${body.data.resultType}, not a vector`);
    return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  };

  return {
    url,
    output,
    query,
    async scrapedAfter(since, count = 1, timeoutMs = 30_000) {
      const limit = Date.now() + timeoutMs;
      for (;;) {
        const counts = await scrapeCounts(url, since);
        if (targets.every((t) => (counts.get(t.job) ?? 0) >= count)) return;
        if (Date.now() > limit) {
          throw new Error(`prometheus did not scrape every job ${count} time(s) after ${new Date(since).toISOString()}: ${JSON.stringify(Object.fromEntries(counts))}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    stop,
  };
}

/** How many good scrapes of each job started after `since` (epoch ms): the raw `up` samples of the last minute, stamped with each scrape's start. */
async function scrapeCounts(url: string, since: number): Promise<Map<string, number>> {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: "up[1m]" })}`);
  const body = (await response.json()) as { status: string; data?: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  const counts = new Map<string, number>();
  for (const series of body.data?.result ?? []) {
    const good = series.values.filter(([time, value]) => time * 1000 > since && value === "1").length;
    counts.set(series.metric["job"] ?? "", good);
  }
  return counts;
}

async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`);
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
