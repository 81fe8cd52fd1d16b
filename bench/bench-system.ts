/**
 * The servers under test, each its own process on a loopback port: the real
 * auth provider and notes service (three notes instances on one data
 * directory: one whose auth the benchmark switches off and on (the bench's
 * own entry point, notes-with-auth-switch.ts: SIGUSR2), a second one with
 * auth as a control,
 * and one with auth and per-call logs; a fourth with auth and metrics on,
 * whose RPC metrics the benchmark switches off and on, notes-with-metrics-switch.ts),
 * the REST design and the plain grpc-js server.
 * Every server logs at warn (no line per call) except the "logged" instance.
 */
import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint, type JWK } from "jose";
import { accessClaims, requestToken, signWithIssuerKey, type ClientCredentials } from "../test/support/tokens.js";
import { startAuthProvider } from "./auth-provider-process.js";
import { startOidcProviderPeer } from "./oidc-provider-peer.js";
import { seedNotes } from "./seed-notes.js";
import { acceptsConnections, answersHealthCheck, answersWithoutToken, freePort, startServer, type ServerProcess } from "./server-process.js";
import { tokenScope } from "./token-cases.js";

export const notesAudience = "note-service";

export interface BenchSystem {
  readonly dataDir: string;
  readonly auth: ServerProcess;
  readonly issuer: string;
  readonly credentials: ClientCredentials;
  /** The peer authorization server (oidc-provider), with the same client credentials: bench/oidc-provider-server.ts. */
  readonly oidcProvider: ServerProcess;
  /** A token for the notes service with scope note.read. */
  readonly token: string;
  /** A DPoP-bound token (cnf.jkt) for the notes service with scope note.read, and the private key its proofs need. */
  readonly dpop: { readonly token: string; readonly privateJwk: JsonWebKey };
  /** Notes, LOG_LEVEL=warn, auth on unless setNotesAuth(false) turned it off. */
  readonly notes: ServerProcess;
  /** Turns auth on `notes` on or off (SIGUSR2) and waits until a call without a token shows it. */
  setNotesAuth(on: boolean): Promise<void>;
  /** Whether setNotesAuth works (false: SIGUSR2 did not switch auth, and "auth off" rows still verify tokens). */
  readonly authSwitchable: boolean;
  /** A second, identical notes with auth: what two identical servers differ by is the noise floor. */
  readonly notesControl: ServerProcess;
  /** Notes with auth and SERVICE_UNARY_FAST_PATH=0: every call through connect-node's adapter. */
  readonly notesAdapter: ServerProcess;
  /** Notes with auth and metrics on (NOTES_METRICS_PORT), unless setNotesMetrics(false) turned its RPC metrics off. */
  readonly notesMetrics: ServerProcess;
  /** Turns the RPC metrics of `notesMetrics` on or off (SIGUSR2) and waits until a scrape shows it. */
  setNotesMetrics(on: boolean): Promise<void>;
  /** Notes with auth, LOG_LEVEL=info: one log line per call. */
  readonly notesLogged: ServerProcess;
  readonly rest: ServerProcess;
  readonly grpcJs: ServerProcess;
  /** The same grpc-js server with the token guard (interceptor/grpc-js-auth-interceptor.ts). */
  readonly grpcJsGuard: ServerProcess;
  /** Starts one more notes service (with auth) on its own data directory, seeded with `notes` notes. */
  startSeededNotes(name: string, notes: number): Promise<{ server: ServerProcess; dataDir: string }>;
  /** Stops every server started here and removes the data directories. */
  stop(): Promise<void>;
}

/** Makes a temporary directory that stop() removes. */
function benchDir(dirs: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-bench-"));
  dirs.push(dir);
  return dir;
}

export async function startBenchSystem(seededNotes: number): Promise<BenchSystem> {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const dataDir = benchDir(dirs);
    const { server: auth, issuer, credentials } = await startAuthProvider(dataDir);
    servers.push(auth);
    const jwksUrl = `${issuer}/jwt/jwks.json`;
    const oidcProvider = await startOidcProviderPeer(credentials, notesAudience, [tokenScope]);
    servers.push(oidcProvider);
    const token = await requestToken(auth.url, credentials, notesAudience, "note.read");
    const dpop = await mintDpopBoundToken(dataDir, issuer);

    const startNotes = async (name: string, dir: string, env: Record<string, string>, entry = "notes/main.js") => {
      const port = await freePort();
      const server = await startServer({
        name,
        entry,
        port,
        env: { DATA_DIR: dir, AUTH_ISSUER: issuer, AUTH_JWKS_URL: jwksUrl, NOTES_PORT: String(port), NOTES_HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
        ready: answersHealthCheck,
      });
      servers.push(server);
      return server;
    };
    seedNotes(dataDir, seededNotes);
    const notes = await startNotes("notes", dataDir, {}, "bench/notes-with-auth-switch.js");
    const notesControl = await startNotes("notes (control)", dataDir, {});
    const notesAdapter = await startNotes("notes (fast path off)", dataDir, { SERVICE_UNARY_FAST_PATH: "0" });
    let notesAuthOn = true;
    const setNotesAuth = async (on: boolean) => {
      if (on === notesAuthOn) return;
      process.kill(notes.pid, "SIGUSR2");
      for (let i = 0; i < 100; i++) {
        if ((await answersWithoutToken(notes.url)) === !on) {
          notesAuthOn = on;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`the notes service did not turn auth ${on ? "on" : "off"} after SIGUSR2`);
    };
    const authSwitchable = await setNotesAuth(false).then(
      () => setNotesAuth(true).then(() => true),
      () => false,
    );
    const notesLogged = await startNotes("notes (LOG_LEVEL=info)", dataDir, { LOG_LEVEL: "info" });
    const metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
    const notesMetrics = await startNotes("notes (metrics on)", dataDir, { NOTES_METRICS_PORT: new URL(metricsUrl).port }, "bench/notes-with-metrics-switch.js");
    let notesMetricsOn = true;
    const setNotesMetrics = async (on: boolean) => {
      if (on === notesMetricsOn) return;
      process.kill(notesMetrics.pid, "SIGUSR2");
      for (let i = 0; i < 100; i++) {
        if ((await countsCalls(notesMetrics.url, metricsUrl)) === on) {
          notesMetricsOn = on;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`the notes service did not turn its metrics ${on ? "on" : "off"} after SIGUSR2`);
    };

    // The comparison servers, each on BENCH_PORT.
    const startPeer = async (name: string, entry: string, env: Record<string, string>) => {
      const port = await freePort();
      const server = await startServer({ name, entry, port, env: { BENCH_PORT: String(port), DATA_DIR: dataDir, ...env }, ready: acceptsConnections });
      servers.push(server);
      return server;
    };
    const guardEnv = { AUTH_ISSUER: issuer, AUTH_JWKS_URL: jwksUrl, BENCH_AUDIENCE: notesAudience };
    const rest = await startPeer("REST design", "bench/rest-server.js", guardEnv);
    const grpcJs = await startPeer("grpc-js", "bench/grpc-js-server.js", {});
    const grpcJsGuard = await startPeer("grpc-js + guard", "bench/grpc-js-server.js", guardEnv);

    return {
      dataDir,
      auth,
      issuer,
      credentials,
      oidcProvider,
      token,
      dpop,
      notes,
      setNotesAuth,
      authSwitchable,
      notesControl,
      notesAdapter,
      notesLogged,
      notesMetrics,
      setNotesMetrics,
      rest,
      grpcJs,
      grpcJsGuard,
      async startSeededNotes(name, count) {
        const dir = benchDir(dirs);
        seedNotes(dir, count);
        return { server: await startNotes(name, dir, {}), dataDir: dir };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A DPoP-bound token like one the token endpoint issues to a client that sends a proof: the issuer's claims for the
 * notes service plus cnf.jkt of a fresh P-256 key, signed with the issuer's current key (so any service verifies it as
 * usual); valid for two hours, longer than any run.
 */
async function mintDpopBoundToken(dataDir: string, issuer: string): Promise<{ token: string; privateJwk: JsonWebKey }> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jkt = await calculateJwkThumbprint(publicKey.export({ format: "jwk" }) as JWK, "sha256");
  const exp = Math.floor(Date.now() / 1000) + 7200;
  const token = await signWithIssuerKey(dataDir, accessClaims(issuer, notesAudience, ["note.read"], { exp, cnf: { jkt } }));
  return { token, privateJwk: privateKey.export({ format: "jwk" }) };
}

/** True when a health check moves the service's grpc_server_started_total (its RPC metrics are on). */
async function countsCalls(url: string, metricsUrl: string): Promise<boolean> {
  const started = async () => {
    const text = await (await fetch(metricsUrl)).text();
    return text.split("\n").filter((l) => l.startsWith('grpc_server_started_total{grpc_service="grpc.health.v1.Health",grpc_method="Check"')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  };
  const before = await started();
  if (!(await answersHealthCheck(url))) throw new Error("the notes service does not answer its health check");
  return (await started()) > before;
}

