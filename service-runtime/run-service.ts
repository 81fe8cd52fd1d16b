/**
 * Start-up and shutdown shared by the calendar and notes services: config,
 * database (SQLite, or PostgreSQL with DATABASE_URL; migrated at start-up),
 * token verification, interceptors, the dual-protocol port, JSON logs and
 * signal handling. A service supplies only its wiring (`build`).
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { validateUniversalHandlerOptions } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { setMaxListeners } from "node:events";
import { ConfigError } from "../common/env.js";
import { createLogger, errorText, type Logger } from "../common/json-logger.js";
import { withAuthorizationFieldCount } from "../interceptor/authorization-field-count.js";
import { createAuthInterceptor } from "../interceptor/connect-auth-interceptor.js";
import { createDpopProofVerifier } from "../interceptor/dpop-proof.js";
import { createJwksKeySource } from "../interceptor/jwks-key-source.js";
import { withPeerCertificateThumbprint } from "../interceptor/peer-certificate-thumbprint.js";
import { createAccessTokenVerifier } from "../interceptor/verify-access-token.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createCallLogInterceptor } from "./call-log-interceptor.js";
import { shutdownTracing, startTracing } from "../common/tracing.js";
import { rpcServerSpanInterceptors } from "./rpc-server-spans.js";
import { traceAccessTokenVerifier } from "./verify-span.js";
import { startMetricsServer, type MetricsServer } from "../common/metrics-server.js";
import { createServiceMetrics } from "./service-metrics.js";
import { createCallerGoneInterceptor } from "./caller-gone-interceptor.js";
import { createDescriptorIndex } from "./descriptor-index.js";
import { createHealthReporter, healthServiceName } from "./health-service.js";
import { followRevocations, revocationsHealthName, revocationsServing } from "./revocation-following.js";
import { reflectionServiceNames, registerReflection } from "./reflection-service.js";
import { listenDualProtocol, type DualRequestHandler } from "./dual-protocol-server.js";
import { peerContextValues } from "./peer-address.js";
import { createUnaryFastPath, type CallTransport } from "./unary-fast-path.js";
import { recordUnaryMethods } from "./unary-routes.js";
import { createWatchLimitInterceptor } from "./watch-limit-interceptor.js";
import { loadServiceConfig, metricsPortVariable, type ServiceConfig, type ServiceIdentity } from "./service-config.js";
import { SchemaTooNewError, type Migration } from "../common/database/migrations.js";
import type { ChangeLogOptions } from "./resources/resource-store.js";
import { openServiceDatabase, type ServiceDatabase } from "./service-database.js";

/** What a service builds from its database. */
export interface ServiceWiring {
  /** The services `routes` registers (for reflection and health). */
  services: DescService[];
  routes: (router: ConnectRouter) => void;
  /** Ends long-lived calls (watch streams) at shutdown. */
  stopStreams(): void;
}

/** Settings a service's wiring reads. */
export interface ServiceSettings {
  changeLog: ChangeLogOptions;
}

export interface ServiceDefinition extends ServiceIdentity {
  /** The service's schema migrations (component = `name`), applied at start-up. */
  migrations: readonly Migration[];
  build(database: ServiceDatabase, logger: Logger, settings: ServiceSettings): ServiceWiring;
}

/** What an entry point other than the service's own `main` may change. */
export interface RunServiceOptions {
  /**
   * Wraps the token guard in the interceptor chain. Only the benchmark's own
   * entry point uses it (to switch auth off and on while measuring); the
   * services' `main` files never pass it, and no setting reaches it.
   */
  wrapAuthInterceptor?: (guard: Interceptor, logger: Logger) => Interceptor;
  /** Wraps the RPC metrics interceptor (when metrics are on); like wrapAuthInterceptor, only for the benchmark. */
  wrapMetricsInterceptor?: (metrics: Interceptor, logger: Logger) => Interceptor;
}

/** Requests larger than this are refused before decoding (RESOURCE_EXHAUSTED). */
const readMaxBytes = 4 * 1024 * 1024;

/** Runs a service until SIGINT/SIGTERM; exits with 2 on a configuration error, 1 when it cannot start. */
export async function runService(definition: ServiceDefinition, options: RunServiceOptions = {}): Promise<void> {
  const logger = createLogger({ component: definition.name });
  let config: ServiceConfig;
  try {
    config = loadServiceConfig(process.env, definition);
    // Before the wiring: the stores and interceptors are traced only when tracing is on.
    await startTracing(definition.name);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${definition.name}: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  let database: ServiceDatabase;
  try {
    database = await openServiceDatabase({ name: definition.name, migrations: definition.migrations, sqlitePath: config.databasePath, postgres: config.postgres, logger });
  } catch (err) {
    if (err instanceof SchemaTooNewError) process.stderr.write(`${definition.name}: ${err.message}\n`);
    logger.error("cannot open the database", { database: databaseName(config), error: err instanceof Error ? err.message : errorText(err) });
    process.exit(1);
  }
  const wiring = definition.build(database, logger, { changeLog: { keep: config.changeLogSize } });
  if (database.kind === "postgres") {
    try {
      await database.listener.start();
    } catch (err) {
      logger.error("cannot listen for changes on the database", { database: databaseName(config), error: errorText(err) });
      await database.close();
      process.exit(1);
    }
  }
  // Only with a metrics port: otherwise no metric is counted and no interceptor added.
  const metrics = config.metrics.port === undefined ? undefined : createServiceMetrics({ component: definition.name, database, revocationListFetchedAt: () => revocations.status().lastSuccessAt });
  // Fetches the revocation list now and follows it; the verifier consults it on every call.
  const revocations = followRevocations(config, logger, metrics?.auth.revocationListFetched);
  const health = createHealthReporter({
    services: wiring.services.map((s) => s.typeName),
    // The whole server stops serving only when calls are refused for a revocation list too old to trust.
    probe: async () => (await database.probe()) && !revocations.status().refusing,
    components: { [revocationsHealthName]: () => revocationsServing(revocations) },
  });
  const descriptors = createDescriptorIndex([...wiring.services, Health, ServerReflectionV1, ServerReflectionV1alpha]);

  const jwksUrl = config.verifier.jwksUrl;
  const keys = createJwksKeySource({
    url: jwksUrl,
    ca: config.authCa,
    onFetch: (outcome) => {
      metrics?.auth.jwksFetched(outcome.ok);
      if (outcome.ok) logger.info("fetched the auth provider's keys", { jwks_url: jwksUrl, keys: outcome.keyCount });
      else if (outcome.keysCached) logger.warn("cannot refresh the auth provider's keys; the cached keys stay in use", { jwks_url: jwksUrl, error: outcome.error });
      else logger.warn("cannot fetch the auth provider's keys yet; calls answer UNAVAILABLE until it is reachable", { jwks_url: jwksUrl, error: outcome.error });
    },
  });
  const verify = createAccessTokenVerifier({
    issuer: config.verifier.issuer,
    audience: config.verifier.audience,
    keys,
    revocations,
    cacheMaxEntries: config.tokenCacheSize,
    // One replay cache for the process: a proof accepted by any call is refused on every later one.
    dpopProofs: createDpopProofVerifier({ maxAgeSeconds: config.verifier.dpopProofMaxAgeSeconds }),
  });
  // Health and reflection are public; everything else is deny-by-default.
  const authInterceptor = createAuthInterceptor({
    verify: traceAccessTokenVerifier(verify),
    audience: config.verifier.audience,
    publicServices: [healthServiceName, ...reflectionServiceNames],
    publicUrls: config.publicUrls,
    ...(metrics === undefined ? {} : { onRefused: metrics.auth.refused, onCacheLookup: metrics.auth.cacheLookup }),
  });
  const shutdown = new AbortController();
  // Every call in flight listens on this signal; without this, Node warns
  // (MaxListenersExceededWarning) on stderr once more than 10 calls overlap.
  setMaxListeners(0, shutdown.signal);
  const routes = recordUnaryMethods((router) => {
    wiring.routes(router);
    health.register(router);
    registerReflection(router, descriptors);
  });
  // The caller's address, for the per-address watch limit; how many authorization fields came (Node keeps
  // only the first of repeated ones; the auth interceptor refuses more than one); the TLS client certificate,
  // for certificate-bound tokens.
  const contextValues = (call: CallTransport) => withPeerCertificateThumbprint(call, withAuthorizationFieldCount(call, peerContextValues(call)));
  const interceptors = [
    // Outermost, so that refused calls are counted and durations include every other interceptor.
    ...(metrics === undefined ? [] : [options.wrapMetricsInterceptor ? options.wrapMetricsInterceptor(metrics.interceptor, logger) : metrics.interceptor]),
    // Before everything but the metrics: the call's span, continuing the caller's trace, covers refusals too.
    ...rpcServerSpanInterceptors(),
    createCallLogInterceptor(logger),
    // A caller that leaves with its request stream open ends its call as CANCELED, not UNKNOWN.
    createCallerGoneInterceptor(),
    options.wrapAuthInterceptor ? options.wrapAuthInterceptor(authInterceptor, logger) : authInterceptor,
    // After the token guard: counts authenticated watches per client id, and refused calls take no slot.
    createWatchLimitInterceptor({
      perAddress: config.watchLimitPerAddress,
      perClient: config.watchLimitPerClient,
      ...(metrics === undefined ? {} : { onOpenWatchesChange: metrics.openWatchesChange }),
    }),
  ];
  // The same options reach both paths: the adapter, and the unary fast path that takes its common calls.
  const handlerOptions = validateUniversalHandlerOptions({ readMaxBytes, acceptCompression: [compressionGzip, compressionBrotli], shutdownSignal: shutdown.signal, interceptors });
  const handler = connectNodeAdapter({ ...handlerOptions, routes: routes.routes, contextValues }) as DualRequestHandler;
  const takeHttp2Stream = config.unaryFastPath ? createUnaryFastPath({ ...handlerOptions, methods: routes.methods, shutdownSignal: shutdown.signal, contextValues }) : undefined;

  let metricsServer: MetricsServer | undefined;
  if (metrics !== undefined) {
    try {
      metricsServer = await startMetricsServer(metrics.registry, config.metrics, metricsPortVariable(definition), logger);
    } catch (err) {
      logger.error(errorText(err));
      revocations.stop();
      await database.close();
      process.exit(1);
    }
  }

  let server;
  try {
    server = await listenDualProtocol(handler, config.port, config.host, {
      tls: config.tls,
      limits: config.connections,
      takeHttp2Stream,
      // Rate-limited by the server: the first refusal, then at most one line per 10 s while they go on.
      onConnectionsRefused: (r) =>
        logger.warn("refusing connections over the connection limits", { over_process_limit: r.process, over_address_limit: r.address, open: r.open, max_connections: config.connections.maxConnections, max_per_address: config.connections.maxConnectionsPerAddress }),
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const reason = code === "EADDRINUSE" ? `port ${config.port} is already in use (set ${definition.envPrefix}_PORT)` : errorText(err);
    logger.error(`cannot listen on ${config.host}:${config.port}: ${reason}`);
    await metricsServer?.close();
    await database.close();
    process.exit(1);
  }
  logger.info("listening", {
    port: server.port,
    url: `${config.tls ? "https" : "http"}://${config.host}:${server.port}`,
    tls: config.tls !== undefined,
    audience: config.verifier.audience,
    issuer: config.verifier.issuer,
    database: databaseName(config),
    unary_fast_path: config.unaryFastPath,
  });
  void keys.refresh(); // warm the key cache; the service works without it and fetches on first call

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn("second signal: exiting now", { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info("shutting down: finishing in-flight calls", { signal, connections: server.connectionCount() });
    health.shutDown();
    revocations.stop();
    wiring.stopStreams();
    const forced = setTimeout(() => shutdown.abort(), config.shutdownGraceMs);
    await server.close(config.shutdownGraceMs + 1000);
    clearTimeout(forced);
    await database.close();
    // Last, so that a scrape during the drain still answers.
    await metricsServer?.close();
    logger.info("stopped");
    await shutdownTracing();
    process.exit(0);
  };
  process.on("SIGINT", (signal) => void stop(signal));
  process.on("SIGTERM", (signal) => void stop(signal));
}

/** The database for logs: the SQLite file, or the PostgreSQL URL without its password. */
function databaseName(config: ServiceConfig): string {
  return config.postgres?.redacted ?? config.databasePath;
}
