/**
 * The whole system for end-to-end tests: the real auth provider and both
 * services as child processes on free loopback ports, sharing a temporary
 * data directory, plus generated clients that fetch real tokens. Cleartext by
 * default; `startSystem({ tls })` runs all three with TLS. When a part fails
 * to start, the parts already running are stopped before the error is
 * rethrown, so a test file fails at once instead of hanging on them.
 */
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { CalendarService } from "../../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../../gen/m2m/notes/v1/notes_pb.js";
import { requestAccessToken } from "../../assistant-cli/token-endpoint-client.js";
import { trustedCertificates } from "../../common/tls.js";
import { startProcess, tempDataDir, type RunningProcess } from "./processes.js";
import { readAssistantCredentials, requestToken, type ClientCredentials } from "./tokens.js";

export type Protocol = "grpc" | "connect" | "grpc-web";

export interface TestSystem {
  dataDir: string;
  auth: RunningProcess;
  calendar: RunningProcess;
  notes: RunningProcess;
  issuer: string;
  credentials: ClientCredentials;
  /** With TLS: the PEM of the CA that signed the servers' certificate (clients must trust it). */
  ca?: string;
  /** A real token for `audience` with `scope`, cached per (audience, scope). */
  token(audience: string, scope: string): Promise<string>;
  /** Restarts one service with the same data directory and port. */
  restart(service: "calendar" | "notes"): Promise<RunningProcess>;
  stop(): Promise<void>;
}

export function serviceEnv(name: "calendar" | "notes", dataDir: string, issuer: string, authUrl: string, port = 0): Record<string, string> {
  const prefix = name === "calendar" ? "CALENDAR" : "NOTES";
  return {
    DATA_DIR: dataDir,
    AUTH_ISSUER: issuer,
    AUTH_JWKS_URL: `${authUrl}/auth/jwt/jwks.json`,
    // The revocation list from the same auth provider as the keys (the issuer may name a host that is not this one).
    AUTH_REVOCATIONS_URL: `${authUrl}/auth/oauth/revocations`,
    [`${prefix}_PORT`]: String(port),
    [`${prefix}_HOST`]: "127.0.0.1",
  };
}

/** Files for running the system with TLS: one certificate (for 127.0.0.1) and key for all three, and its CA. */
export interface SystemTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** The content of caFile. */
  ca: string;
}

export interface StartSystemOptions {
  /** Serve TLS everywhere (TLS_CERT_FILE, TLS_KEY_FILE) and let the services trust the CA for the JWKS (AUTH_CA_FILE). */
  tls?: SystemTls;
  /** Extra environment for the auth provider only (e.g. AUTH_TOKEN_TTL_SECONDS). */
  authEnv?: Record<string, string>;
  /** Extra environment for one service (e.g. SERVICE_MAX_WATCHES_PER_ADDRESS). */
  serviceEnv?: Partial<Record<"calendar" | "notes", Record<string, string>>>;
}

/**
 * Starts auth provider, calendar and notes. When one fails to start, it stops the parts it started, removes the
 * data directory and rethrows the first failure.
 */
export async function startSystem(options: StartSystemOptions = {}): Promise<TestSystem> {
  const { tls } = options;
  const tlsEnv: Record<string, string> = tls ? { TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile } : {};
  const start = async (entry: string, env: Record<string, string>) => {
    const started = await startProcess(entry, { env: { ...env, ...tlsEnv, ...(tls ? { AUTH_CA_FILE: tls.caFile } : {}) } });
    return tls ? { ...started, url: `https://127.0.0.1:${started.port}` } : started;
  };
  const data = tempDataDir();
  const running: RunningProcess[] = [];
  let auth: RunningProcess, calendar: RunningProcess, notes: RunningProcess, issuer: string, credentials: ClientCredentials;
  try {
    auth = await start("auth-provider/main.js", { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: data.path, ...options.authEnv });
    running.push(auth);
    // With AUTH_PORT=0 the provider derives its issuer from the port it got, and announces it.
    issuer = String(auth.logs().find((l) => l["msg"] === "listening")?.["issuer"]);
    // Both settle before anything is stopped, so that neither is left starting in the background.
    const services = await Promise.allSettled(
      (["calendar", "notes"] as const).map((name) => start(`${name}/main.js`, { ...serviceEnv(name, data.path, issuer, auth.url), ...options.serviceEnv?.[name] })),
    );
    for (const result of services) if (result.status === "fulfilled") running.push(result.value);
    const failed = services.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed) throw failed.reason;
    [calendar, notes] = services.map((result) => (result as PromiseFulfilledResult<RunningProcess>).value) as [RunningProcess, RunningProcess];
    credentials = readAssistantCredentials(data.path);
  } catch (err) {
    await Promise.all(running.map((part) => part.stop()));
    data.remove();
    throw err;
  }
  const tokens = new Map<string, Promise<string>>();
  const system: TestSystem = {
    dataDir: data.path,
    auth,
    calendar,
    notes,
    issuer,
    credentials,
    ...(tls ? { ca: tls.ca } : {}),
    token(audience, scope) {
      const key = `${audience} ${scope}`;
      if (!tokens.has(key)) {
        const token = tls
          ? requestAccessToken(auth.url, credentials, audience, scope, { ca: tls.ca }).then((t) => t.accessToken)
          : requestToken(auth.url, credentials, audience, scope);
        tokens.set(key, token);
      }
      return tokens.get(key)!;
    },
    async restart(service) {
      const old = system[service];
      await old.stop();
      const fresh = await start(`${service}/main.js`, { ...serviceEnv(service, data.path, issuer, auth.url, old.port), ...options.serviceEnv?.[service] });
      system[service] = fresh;
      return fresh;
    },
    async stop() {
      await Promise.all([system.calendar.stop(), system.notes.stop()]);
      await system.auth.stop();
      data.remove();
    },
  };
  return system;
}

/** A transport of the given protocol to a service URL, with optional interceptors; over https it trusts `ca` (PEM) too. */
export function transportFor(protocol: Protocol, baseUrl: string, interceptors: Interceptor[] = [], ca?: string): Transport {
  const nodeOptions = ca === undefined ? {} : { nodeOptions: { ca: trustedCertificates(ca) } };
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors, ...nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "2", interceptors, ...nodeOptions });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors, ...nodeOptions });
  }
}

/** An interceptor that sends `authorization: Bearer <token>`, the token given or from `getToken`. */
export function bearer(token: string | (() => Promise<string>)): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${typeof token === "string" ? token : await token()}`);
    return next(req);
  };
}

/** A calendar client that authenticates with a token of the given scope. */
export function calendarClient(system: TestSystem, protocol: Protocol, scope = "calendar.read calendar.write"): Client<typeof CalendarService> {
  return createClient(CalendarService, transportFor(protocol, system.calendar.url, [bearer(() => system.token("calendar-service", scope))], system.ca));
}

/** A notes client that authenticates with a token of the given scope. */
export function notesClient(system: TestSystem, protocol: Protocol, scope = "note.read note.write"): Client<typeof NoteService> {
  return createClient(NoteService, transportFor(protocol, system.notes.url, [bearer(() => system.token("note-service", scope))], system.ca));
}
