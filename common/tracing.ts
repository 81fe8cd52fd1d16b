/**
 * OpenTelemetry traces of one process (the auth provider, a service or the
 * assistant), off unless the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. On: a tracer provider with a
 * batch span processor and the OTLP/HTTP exporter (JSON; the exporter reads
 * the endpoint, headers and certificates from the standard variables), the
 * W3C trace-context propagator, and service.name from OTEL_SERVICE_NAME or
 * the part's name. Off (or OTEL_SDK_DISABLED=true): nothing is registered,
 * and the parts install none of their tracing interceptors, middleware or
 * store wrappers, so untraced calls run exactly the code they ran before; not
 * even the API, the SDK or the exporter is loaded (together they add 0.1 to
 * 0.2 s to a start, which the assistant would pay on every command).
 */
import type * as OtelApi from "@opentelemetry/api";
import { createRequire } from "node:module";
import { checkUrl, readOptionalString } from "./env.js";

type Env = Readonly<Record<string, string | undefined>>;

/** What tracing exports, when it is on. */
export interface TracingSettings {
  /** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  readonly tracesUrl: string;
  readonly serviceName: string;
}

/**
 * The tracing settings, or undefined when tracing is off: neither endpoint variable set, or OTEL_SDK_DISABLED=true.
 * @throws ConfigError naming the endpoint variable when it is not an http(s) URL.
 */
export function readTracingSettings(env: Env, part: string): TracingSettings | undefined {
  if (readOptionalString(env, "OTEL_SDK_DISABLED")?.toLowerCase() === "true") return undefined;
  const tracesEndpoint = readOptionalString(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const endpoint = readOptionalString(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  let tracesUrl: string;
  if (tracesEndpoint !== undefined) tracesUrl = checkUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", tracesEndpoint);
  else if (endpoint !== undefined) tracesUrl = `${checkUrl("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)}/v1/traces`;
  else return undefined;
  return { tracesUrl, serviceName: readOptionalString(env, "OTEL_SERVICE_NAME") ?? part };
}

/** Tracing as started in this process. */
export interface Tracing {
  /** Whether spans are recorded and exported. */
  readonly enabled: boolean;
  /** Exports the spans still queued and stops; waits at most timeoutMs (default 5 s). Never rejects. */
  shutdown(timeoutMs?: number): Promise<void>;
}

const off: Tracing = { enabled: false, shutdown: async () => {} };
let started: Tracing | undefined;

/**
 * Starts tracing for `part` (auth-provider, calendar, notes or assistant: its service.name unless OTEL_SERVICE_NAME
 * says otherwise) as the environment says (see readTracingSettings); once per process, later calls return the first
 * result.
 * @throws ConfigError naming a bad endpoint variable.
 */
export async function startTracing(part: string, env: Env = process.env): Promise<Tracing> {
  if (started !== undefined) return started;
  const settings = readTracingSettings(env, part);
  if (settings === undefined) return (started = off);
  const [{ W3CTraceContextPropagator }, { OTLPTraceExporter }, { defaultResource, resourceFromAttributes }, { BatchSpanProcessor, NodeTracerProvider }] =
    await Promise.all([
      import("@opentelemetry/core"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
      import("@opentelemetry/sdk-trace-node"),
    ]);
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ "service.name": settings.serviceName })),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }))],
  });
  // Trace context only: baggage would carry whatever a caller put in it into our spans' neighbours.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  let stopping: Promise<void> | undefined;
  return (started = {
    enabled: true,
    shutdown(timeoutMs = 5000) {
      stopping ??= provider.shutdown().catch(() => {});
      return Promise.race([stopping, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  });
}

/** Whether startTracing turned tracing on in this process: wiring installs its tracing pieces only then. */
export function tracingEnabled(): boolean {
  return started?.enabled === true;
}

/** Exports what is queued and stops tracing (see Tracing.shutdown); nothing to do when tracing is off. */
export function shutdownTracing(timeoutMs?: number): Promise<void> {
  return started?.shutdown(timeoutMs) ?? Promise.resolve();
}

let api: typeof OtelApi | undefined;

/**
 * The OpenTelemetry API, loaded on first use (it is CommonJS, so synchronously): the span modules take it from here
 * when they build their interceptors and wrappers, which they do only while tracing is on.
 */
export function otelApi(): typeof OtelApi {
  return (api ??= createRequire(import.meta.url)("@opentelemetry/api") as typeof OtelApi);
}

/** The tracer every part's spans come from. */
export function m2mTracer(): OtelApi.Tracer {
  return otelApi().trace.getTracer("m2m-grpc");
}
