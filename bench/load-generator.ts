/**
 * The load generator, run as its own process so its CPU is not the server's:
 * `node dist/bench/load-generator.js '<LoadPlan as JSON>'`. It opens one
 * HTTP/2 connection (or `concurrency` keep-alive HTTP/1.1 connections), keeps
 * `concurrency` calls in flight with a body prepared once, and writes two JSON
 * lines on stdout: `{"event":"measuring"}` when the measured window starts
 * (after the warm-up) and a LoadReport when it ends. Exits 1 on a connection
 * failure. With `plan.dpop` every HTTP/2 call carries its own DPoP proof, from
 * proofs signed before the first call (dpop-proof-pool.ts).
 */
import http2 from "node:http2";
import net from "node:net";
import { createProofPool } from "./dpop-proof-pool.js";
import type { LoadPlan, LoadReport, LoadWindowReport, LoadWindowStarted } from "./load-plan.js";

const plan = JSON.parse(process.argv[2] ?? "{}") as LoadPlan;
const body = Buffer.from(plan.bodyBase64, "base64");
const proofs = plan.dpop === undefined ? undefined : createProofPool(plan.dpop.privateJwk, plan.dpop.accessToken, `${plan.url}${plan.path}`, plan.dpop.presigned);

/** Latencies of the measured window, in ms. */
let latencies = new Float64Array(1 << 16);
let measured = 0;
let errors = 0;
const errorSamples = new Set<string>();
let measuring = false;
let stopped = false;

let total = 0;
/** Calls started inside the measured window; with `plan.calls`, no more than that many are started. */
let issued = 0;

function record(startedAt: number, error: string | undefined): void {
  total++;
  if (!measuring) return;
  if (error !== undefined) {
    errors++;
    if (errorSamples.size < 5) errorSamples.add(error);
    return;
  }
  if (measured === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[measured++] = performance.now() - startedAt;
  if (plan.calls !== undefined && measured + errors >= plan.calls) stopped = true;
}

/** False once the run stops, or once `plan.calls` calls were started in the measured window. */
function mayIssue(): boolean {
  if (stopped || (plan.calls !== undefined && measuring && issued >= plan.calls)) return false;
  if (measuring) issued++;
  return true;
}

/** Starts one caller that issues calls one after another until the run stops. */
type Caller = (onIdle: () => void) => void;

function http2Caller(session: http2.ClientHttp2Session): Caller {
  const headers: http2.OutgoingHttpHeaders = { ":method": plan.method, ":path": plan.path, ...plan.headers };
  const call = (onIdle: () => void): void => {
    if (!mayIssue()) return onIdle();
    const startedAt = performance.now();
    const stream = session.request(proofs === undefined ? headers : { ...headers, dpop: proofs.take() }, { endStream: body.length === 0 });
    if (body.length > 0) stream.end(body);
    let httpStatus = 0;
    let grpcStatus: string | undefined;
    let gotData = false;
    stream.on("response", (h) => {
      httpStatus = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]); // trailers-only answer
    });
    stream.on("trailers", (t) => {
      if (t["grpc-status"] !== undefined) grpcStatus = String(t["grpc-status"]);
    });
    stream.on("data", () => {
      if (plan.kind === "watch" && !gotData) stream.close(http2.constants.NGHTTP2_CANCEL);
      gotData = true;
    });
    stream.on("error", () => {}); // the outcome is judged on close
    stream.on("close", () => {
      let error: string | undefined;
      if (plan.kind === "grpc") error = grpcStatus === "0" ? undefined : `http ${httpStatus}, grpc-status ${grpcStatus ?? "none"}`;
      else if (plan.kind === "watch") error = gotData ? undefined : `http ${httpStatus}, grpc-status ${grpcStatus ?? "none"}, no message`;
      else error = httpStatus === 200 ? undefined : `http ${httpStatus}`;
      record(startedAt, error);
      call(onIdle);
    });
  };
  return call;
}

/** One keep-alive HTTP/1.1 connection answering one request at a time (no pipelining). */
async function http1Caller(url: URL): Promise<Caller> {
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.setNoDelay(true);
  const head = [`${plan.method} ${plan.path} HTTP/1.1`, `host: ${url.host}`, ...Object.entries(plan.headers).map(([k, v]) => `${k}: ${v}`)];
  if (body.length > 0) head.push(`content-length: ${body.length}`);
  const request = Buffer.concat([Buffer.from(head.join("\r\n") + "\r\n\r\n"), body]);
  let pending: { startedAt: number; onIdle: () => void } | undefined;
  let buffered: Buffer = Buffer.alloc(0);
  const call = (onIdle: () => void): void => {
    if (!mayIssue()) {
      socket.destroy();
      return onIdle();
    }
    pending = { startedAt: performance.now(), onIdle };
    socket.write(request);
  };
  socket.on("data", (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf("\r\n\r\n");
    if (end < 0 || pending === undefined) return;
    const headText = buffered.subarray(0, end).toString("latin1");
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? "NaN");
    if (Number.isNaN(length)) throw new Error(`the server answered without content-length:\n${headText}`);
    if (buffered.length < end + 4 + length) return;
    buffered = buffered.subarray(end + 4 + length);
    const status = Number(headText.slice(9, 12));
    const { startedAt, onIdle } = pending;
    pending = undefined;
    record(startedAt, status >= 200 && status < 300 ? undefined : `http ${status}`);
    call(onIdle);
  });
  socket.on("error", (err) => fail(`connection failed: ${err.message}`));
  return call;
}

function fail(message: string): never {
  process.stderr.write(`load-generator: ${message}\n`);
  process.exit(1);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Sorted latencies as [bucket of 0.01 ms, count] pairs (see LoadReport.histogram). */
function histogramOf(sorted: Float64Array): [number, number][] {
  const pairs: [number, number][] = [];
  for (const ms of sorted) {
    const bucket = Math.floor(ms * 100);
    const last = pairs[pairs.length - 1];
    if (last !== undefined && last[0] === bucket) last[1]++;
    else pairs.push([bucket, 1]);
  }
  return pairs;
}

async function main(): Promise<void> {
  const url = new URL(plan.url);
  const sessions: http2.ClientHttp2Session[] = [];
  const callers: Caller[] = [];
  if (plan.kind === "http1") {
    for (let i = 0; i < plan.concurrency; i++) callers.push(await http1Caller(url));
  } else {
    for (const target of [url, ...(plan.extraUrls ?? []).map((u) => new URL(u))]) {
      const session = http2.connect(target);
      session.on("error", (err) => fail(`HTTP/2 connection to ${target.host} failed: ${err.message}`));
      await new Promise<void>((resolve) => session.once("connect", () => resolve()));
      sessions.push(session);
    }
    // The calls in flight, spread evenly over the connections (one per server).
    const sessionCallers = sessions.map(http2Caller);
    for (let i = 0; i < plan.concurrency; i++) callers.push(sessionCallers[i % sessionCallers.length]!);
  }
  // Without a warm-up every call is measured, the first ones included.
  if (plan.warmupMs === 0) measuring = true;
  const idle = Promise.all(callers.map((caller) => new Promise<void>((resolve) => caller(resolve))));
  if (plan.warmupMs > 0) await new Promise((resolve) => setTimeout(resolve, plan.warmupMs));
  if (plan.windows !== undefined) {
    await measureWindows(plan.windows);
  } else {
    measuring = true;
    const cpuAtStart = process.cpuUsage();
    const startedAt = performance.now();
    process.stdout.write(JSON.stringify({ event: "measuring" }) + "\n");
    if (plan.calls === undefined) setTimeout(() => (stopped = true), plan.durationMs);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (stopped) clearInterval(check), resolve();
      }, 5);
    });
    measuring = false;
    const report: LoadReport = { event: "done", ...summary(performance.now() - startedAt, process.cpuUsage(cpuAtStart)) };
    await idle;
    process.stdout.write(JSON.stringify(report) + "\n");
  }
  stopped = true;
  await idle;
  for (const session of sessions) session.close();
  process.exit(0);
}

/** The figures of the calls recorded since the counters were last reset, over `elapsedMs`. */
function summary(elapsedMs: number, cpu: NodeJS.CpuUsage): Omit<LoadReport, "event"> {
  const seconds = elapsedMs / 1000;
  const sorted = latencies.slice(0, measured).sort();
  return {
    calls: measured,
    totalCalls: total,
    errors,
    errorSamples: [...errorSamples],
    seconds: round(seconds),
    callsPerSecond: round(measured / seconds),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!),
    histogram: histogramOf(sorted),
    clientCpuShare: round((cpu.user + cpu.system) / 1e6 / seconds),
    ...(proofs === undefined ? {} : { proofsSignedDuringLoad: proofs.signedOnTheFly }),
  };
}

/**
 * Window mode: back-to-back measured windows on the same connection, each
 * announced on stdout when it starts and reported when it ends, with
 * `settleMs` unrecorded between them (the parent changes the server's state
 * then, and calls already in flight finish).
 */
async function measureWindows(windows: NonNullable<LoadPlan["windows"]>): Promise<void> {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let index = 0; index < windows.count; index++) {
    measured = 0;
    errors = 0;
    const cpuAtStart = process.cpuUsage();
    const startedAt = performance.now();
    measuring = true;
    process.stdout.write(JSON.stringify({ event: "window-start", index } satisfies LoadWindowStarted) + "\n");
    await sleep(windows.windowMs);
    measuring = false;
    const report: LoadWindowReport = { event: "window-end", index, ...summary(performance.now() - startedAt, process.cpuUsage(cpuAtStart)) };
    process.stdout.write(JSON.stringify(report) + "\n");
    await sleep(windows.settleMs);
  }
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
