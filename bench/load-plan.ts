/**
 * What the load generator is asked to do and what it reports: shared by the
 * parent (bench/main.ts) and the child (bench/load-generator.ts), which talk
 * through one JSON argument and JSON lines on stdout.
 */

/**
 * - `grpc`: unary gRPC over one HTTP/2 connection; success is `grpc-status: 0`.
 * - `connect`: unary Connect protocol over one HTTP/2 connection; success is HTTP 200.
 * - `http1`: one request per keep-alive HTTP/1.1 connection at a time, `concurrency` connections; success is 2xx.
 * - `watch`: opens a gRPC server stream over one HTTP/2 connection, reads its first message, cancels it.
 */
export type LoadKind = "grpc" | "connect" | "http1" | "watch";

export interface LoadPlan {
  kind: LoadKind;
  /** http://127.0.0.1:PORT */
  url: string;
  /**
   * More servers of the same service (replicas): the generator opens one HTTP/2 connection to each of `url` and
   * these, and spreads the calls in flight evenly over them. HTTP/2 kinds only.
   */
  extraUrls?: string[];
  method: "POST" | "GET";
  /** Path and query, e.g. /m2m.notes.v1.NoteService/ListNotes */
  path: string;
  /** Request headers besides the pseudo-headers (HTTP/2) or the request line (HTTP/1.1). */
  headers: Record<string, string>;
  /** The request body, prepared once (gRPC: already enveloped), base64. */
  bodyBase64: string;
  /** Calls (or streams) kept in flight. */
  concurrency: number;
  /** Load applied before the measured window, not counted. */
  warmupMs: number;
  /** Length of the measured window; ignored when `calls` is set. */
  durationMs: number;
  /** Stop after this many calls in the measured window instead of after `durationMs`. */
  calls?: number;
  /**
   * Instead of one measured window: `count` windows of `windowMs` on the same
   * connection, `settleMs` apart, each reported as it ends (LoadWindowReport);
   * `durationMs` and `calls` are then ignored.
   */
  windows?: { count: number; windowMs: number; settleMs: number };
  /**
   * Send a DPoP proof with every call (`headers` then hold `authorization: DPoP <token>`): proofs for `url` + `path`
   * signed with this key, `presigned` of them before any call (so signing costs the measured window nothing), then
   * more on the fly if those run out (counted in `LoadReport.proofsSignedDuringLoad`).
   */
  dpop?: { privateJwk: import("node:crypto").JsonWebKey; accessToken: string; presigned: number };
}

/** The measured window, written as the last stdout line. */
export interface LoadReport {
  event: "done";
  calls: number;
  /** Calls completed over the whole run, warm-up included (successful or not). */
  totalCalls: number;
  errors: number;
  /** The first few distinct error descriptions (status codes), for the report. */
  errorSamples: string[];
  seconds: number;
  callsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * Every measured latency, bucketed by 0.01 ms: [bucket, count] pairs for the
   * buckets that hold calls (bucket 123 = 1.23 to 1.24 ms). Lets the parent
   * pool the calls of several rounds into one percentile.
   */
  histogram: [number, number][];
  /** CPU the load generator itself used in the window, as a share of one core (1 = 100 %). */
  clientCpuShare: number;
  /** With `plan.dpop`: proofs signed while calls were running because the presigned ones ran out (0 is the aim). */
  proofsSignedDuringLoad?: number;
}

/** Written when the measured window starts, so the parent can read the server's CPU time then. */
export interface LoadStarted {
  event: "measuring";
}

/** Window mode: written when window `index` starts recording. */
export interface LoadWindowStarted {
  event: "window-start";
  index: number;
}

/** Window mode: the figures of window `index`, written when it ends. */
export interface LoadWindowReport extends Omit<LoadReport, "event"> {
  event: "window-end";
  index: number;
}
