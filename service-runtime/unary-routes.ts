/**
 * The unary methods a service registers, by request path, for the unary fast
 * path (unary-fast-path.ts). Connect's router keeps each implementation
 * inside its handlers, out of reach; this wraps the `routes` function given
 * to the Node adapter so that every registration still reaches the adapter's
 * router unchanged, and the unary ones are also recorded here.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { createMethodImplSpec, createServiceImplSpec, type ConnectRouter, type MethodImplSpec } from "@connectrpc/connect";
import { createMethodUrl } from "@connectrpc/connect/protocol";

/** The implementation of a unary method, with its descriptor. */
export type UnaryMethodSpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** Unary method implementations by request path ("/package.Service/Method"). */
export type UnaryMethods = ReadonlyMap<string, UnaryMethodSpec>;

export interface RecordedRoutes {
  /** Pass to connectNodeAdapter as `routes`; it must run before `methods` is read. */
  routes: (router: ConnectRouter) => void;
  /** Filled when `routes` runs. */
  methods: UnaryMethods;
}

/**
 * Records the unary methods `routes` registers. A service or method
 * registered with options of its own (interceptors, limits) is left to the
 * adapter alone: the fast path applies only the adapter's options.
 */
export function recordUnaryMethods(routes: (router: ConnectRouter) => void): RecordedRoutes {
  const methods = new Map<string, UnaryMethodSpec>();
  const record = (spec: MethodImplSpec) => {
    if (spec.kind === "unary") methods.set(createMethodUrl("/", spec.method), spec);
  };
  return {
    methods,
    routes: (router) => {
      const recorder: ConnectRouter = {
        get handlers() {
          return router.handlers;
        },
        service(service: DescService, implementation: object, options?: object) {
          router.service(service, implementation, options);
          if (options === undefined) Object.values(createServiceImplSpec(service, implementation).methods).forEach(record);
          return recorder;
        },
        rpc(method: DescMethod, implementation: never, options?: object) {
          router.rpc(method as never, implementation, options);
          if (options === undefined) record(createMethodImplSpec(method as never, implementation));
          return recorder;
        },
      } as ConnectRouter;
      routes(recorder);
    },
  };
}
