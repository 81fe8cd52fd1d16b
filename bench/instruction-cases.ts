/**
 * What the instruction benchmark counts, as a table: each server is one
 * process under callgrind, each row one state of one server. The notes rows
 * with auth on and off share a process (SIGUSR2, notes-with-auth-switch.ts),
 * so the difference between them is auth and nothing else; the fast path on
 * and off needs two processes (SERVICE_UNARY_FAST_PATH is read at start-up).
 * Adding a case is adding a line.
 */
import { notesAudience } from "./bench-system.js";
import { acceptsConnections, answersHealthCheck } from "./server-process.js";

export type InstructionServerId = "notes" | "notes-no-fast-path" | "grpc-js" | "grpc-js-guard";

/** What every server needs from the running system: where tokens come from. */
export interface InstructionContext {
  dataDir: string;
  issuer: string;
  jwksUrl: string;
}

export interface InstructionServer {
  id: InstructionServerId;
  /** Compiled entry point under dist-test/. */
  entry: string;
  env(context: InstructionContext, port: number): Record<string, string>;
  ready(url: string): Promise<boolean>;
  /** SIGUSR2 turns its auth off and on (it starts with auth on). */
  switchesAuth: boolean;
}

export interface InstructionRow {
  label: string;
  server: InstructionServerId;
  /** For a server that switches auth: the state this row is counted in. */
  authOn: boolean;
  /** Whether the calls carry the access token (always, except to plain grpc-js, as in `npm run bench`). */
  sendsToken: boolean;
}

const notesEnv = (context: InstructionContext, port: number, extra: Record<string, string> = {}) => ({
  DATA_DIR: context.dataDir,
  AUTH_ISSUER: context.issuer,
  AUTH_JWKS_URL: context.jwksUrl,
  NOTES_PORT: String(port),
  NOTES_HOST: "127.0.0.1",
  LOG_LEVEL: "warn",
  ...extra,
});

const grpcJsEnv = (context: InstructionContext, port: number, guard: boolean) => ({
  BENCH_PORT: String(port),
  DATA_DIR: context.dataDir,
  ...(guard ? { AUTH_ISSUER: context.issuer, AUTH_JWKS_URL: context.jwksUrl, BENCH_AUDIENCE: notesAudience } : {}),
});

export const instructionServers: readonly InstructionServer[] = [
  { id: "notes", entry: "bench/notes-with-auth-switch.js", env: (c, p) => notesEnv(c, p), ready: answersHealthCheck, switchesAuth: true },
  {
    id: "notes-no-fast-path",
    entry: "bench/notes-with-auth-switch.js",
    env: (c, p) => notesEnv(c, p, { SERVICE_UNARY_FAST_PATH: "0" }),
    ready: answersHealthCheck,
    switchesAuth: true,
  },
  { id: "grpc-js", entry: "bench/grpc-js-server.js", env: (c, p) => grpcJsEnv(c, p, false), ready: acceptsConnections, switchesAuth: false },
  { id: "grpc-js-guard", entry: "bench/grpc-js-server.js", env: (c, p) => grpcJsEnv(c, p, true), ready: acceptsConnections, switchesAuth: false },
];

export const instructionRows: readonly InstructionRow[] = [
  { label: "notes, gRPC fast path on, auth on", server: "notes", authOn: true, sendsToken: true },
  { label: "notes, gRPC fast path on, auth off", server: "notes", authOn: false, sendsToken: true },
  { label: "notes, gRPC fast path off, auth on", server: "notes-no-fast-path", authOn: true, sendsToken: true },
  { label: "notes, gRPC fast path off, auth off", server: "notes-no-fast-path", authOn: false, sendsToken: true },
  { label: "plain grpc-js, no auth", server: "grpc-js", authOn: false, sendsToken: false },
  { label: "grpc-js + guard", server: "grpc-js-guard", authOn: true, sendsToken: true },
];

/** Pairs of rows whose difference the report states: what auth adds, and what the fast path saves. */
export const instructionDifferences: readonly { label: string; minuend: string; subtrahend: string }[] = [
  { label: "auth on − off, fast path on", minuend: "notes, gRPC fast path on, auth on", subtrahend: "notes, gRPC fast path on, auth off" },
  { label: "auth on − off, fast path off", minuend: "notes, gRPC fast path off, auth on", subtrahend: "notes, gRPC fast path off, auth off" },
  { label: "fast path on − off, auth on", minuend: "notes, gRPC fast path on, auth on", subtrahend: "notes, gRPC fast path off, auth on" },
  { label: "grpc-js: guard − none", minuend: "grpc-js + guard", subtrahend: "plain grpc-js, no auth" },
];
