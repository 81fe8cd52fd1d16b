/**
 * The standard gRPC health checking protocol (`grpc.health.v1.Health`):
 * SERVING while the service can do its work, NOT_SERVING while it shuts down
 * or its database does not answer. Named components (such as
 * `m2m.auth.v1.Revocations`, the followed revocation list) have a status of
 * their own, which only `probe` decides whether the whole server shares.
 * Check answers once; Watch streams every change (the database is probed every
 * `probeIntervalMs` while someone watches). Public: load balancers and
 * orchestrators call it without a token.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status, HealthCheckResponseSchema } from "../gen/grpc/health/v1/health_pb.js";

export const healthServiceName = Health.typeName;

export interface HealthOptions {
  /** Service names a caller may ask about, sharing the server's status; "" (the whole server) is always known. */
  services: readonly string[];
  /** True when the service's dependencies work (e.g. a query on its database succeeds). */
  probe: () => boolean | Promise<boolean>;
  /** Names a caller may also ask about, each SERVING while its function returns true; default none. */
  components?: Readonly<Record<string, () => boolean>>;
  /** How often Watch re-probes; default 5000 ms. */
  probeIntervalMs?: number;
}

export interface HealthReporter {
  register(router: ConnectRouter): void;
  /** From now on NOT_SERVING; watchers are told, then their streams end. */
  shutDown(): void;
  /** The current status of the whole server. */
  status(): Promise<Status>;
}

export function createHealthReporter(options: HealthOptions): HealthReporter {
  const known = new Set(["", ...options.services]);
  const components = new Map(Object.entries(options.components ?? {}));
  let shuttingDown = false;
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of waiters) wake();
  };

  const status = async () => {
    if (shuttingDown) return Status.NOT_SERVING;
    try {
      return (await options.probe()) ? Status.SERVING : Status.NOT_SERVING;
    } catch {
      return Status.NOT_SERVING;
    }
  };
  const statusOf = async (service: string) => {
    const component = components.get(service);
    if (component !== undefined) return !shuttingDown && component() ? Status.SERVING : Status.NOT_SERVING;
    return known.has(service) ? status() : Status.SERVICE_UNKNOWN;
  };

  return {
    status,
    shutDown() {
      shuttingDown = true;
      wakeAll();
    },
    register(router) {
      router.service(Health, {
        async check(req) {
          const current = await statusOf(req.service);
          if (current === Status.SERVICE_UNKNOWN) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
          return { status: current };
        },
        async *watch(req, ctx) {
          let last: Status | undefined;
          for (;;) {
            const current = await statusOf(req.service);
            if (current !== last) {
              yield create(HealthCheckResponseSchema, { status: current });
              last = current;
            }
            if (shuttingDown) return;
            // The caller left (cancel, deadline, its connection went away): not a normal end in the call log.
            if (ctx.signal.aborted) throw ConnectError.from(ctx.signal.reason, Code.Canceled);
            // Wait for shutdown, the caller leaving, or the next probe.
            await new Promise<void>((resolve) => {
              const wake = () => {
                clearTimeout(timer);
                waiters.delete(wake);
                ctx.signal.removeEventListener("abort", wake);
                resolve();
              };
              const timer = setTimeout(wake, options.probeIntervalMs ?? 5000);
              waiters.add(wake);
              ctx.signal.addEventListener("abort", wake);
            });
          }
        },
      });
    },
  };
}
