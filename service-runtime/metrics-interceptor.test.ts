/** The RPC metrics over an in-memory Connect transport, with the health service as the service under test. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { Registry } from "prom-client";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { createHealthReporter } from "./health-service.js";
import { protocolOf } from "./call-protocol.js";
import { createGrpcServerMetrics, createMetricsInterceptor, grpcCodeOf, grpcTypeOf, handlingSecondsBuckets } from "./metrics-interceptor.js";

/** The value of one series in the registry's text, or 0 when the series is absent. */
async function sample(registry: Registry, series: string): Promise<number> {
  const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function setUp(refuse: () => boolean = () => false) {
  const registry = new Registry();
  const refusing: Interceptor = (next) => (req) => {
    if (refuse()) throw new ConnectError("no token", Code.Unauthenticated);
    return next(req);
  };
  const reporter = createHealthReporter({ services: [], probe: () => true, probeIntervalMs: 60_000 });
  const transport = createRouterTransport((router) => reporter.register(router), {
    router: { interceptors: [createMetricsInterceptor(createGrpcServerMetrics(registry)), refusing] },
  });
  return { registry, client: createClient(Health, transport) };
}

const check = 'grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_type="unary",protocol="connect"';
const watch = 'grpc_service="grpc.health.v1.Health",grpc_method="Watch",grpc_type="server_stream",protocol="connect"';

test("protocol from the content type: gRPC, gRPC-Web, else Connect", () => {
  assert.equal(protocolOf("application/grpc"), "grpc");
  assert.equal(protocolOf("application/grpc+proto"), "grpc");
  assert.equal(protocolOf("application/grpc-web+proto"), "grpc-web");
  assert.equal(protocolOf("application/grpc-web"), "grpc-web");
  assert.equal(protocolOf("application/proto"), "connect");
  assert.equal(protocolOf("application/connect+json"), "connect");
  assert.equal(protocolOf(null), "connect"); // a Connect GET
});

test("grpc_type and grpc_code are spelt as go-grpc-prometheus spells them", () => {
  assert.deepEqual(
    (["unary", "server_streaming", "client_streaming", "bidi_streaming"] as const).map(grpcTypeOf),
    ["unary", "server_stream", "client_stream", "bidi_stream"],
  );
  assert.equal(grpcCodeOf(undefined), "OK");
  const names = Array.from({ length: 16 }, (_, i) => grpcCodeOf(new ConnectError("x", (i + 1) as Code)));
  assert.deepEqual(names, [
    "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
    "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
  ]);
  assert.equal(grpcCodeOf(new Error("a bug")), "Unknown");
});

test("a unary call: started, handled OK, one duration in the go-grpc-prometheus buckets", async () => {
  const { registry, client } = setUp();
  await client.check({});
  await client.check({});
  assert.equal(await sample(registry, `grpc_server_started_total{${check}}`), 2);
  assert.equal(await sample(registry, `grpc_server_handled_total{${check},grpc_code="OK"}`), 2);
  assert.equal(await sample(registry, `grpc_server_handling_seconds_count{${check}}`), 2);
  assert.equal(await sample(registry, `grpc_server_handling_seconds_bucket{le="10",${check}}`), 2);
  const text = await registry.metrics();
  const bounds = [...text.matchAll(/grpc_server_handling_seconds_bucket\{le="([^"]+)",grpc_service="grpc.health.v1.Health",grpc_method="Check"/g)].map((m) => m[1]);
  assert.deepEqual(bounds, [...handlingSecondsBuckets.map(String), "+Inf"]);
});

test("a refused call counts as started and handled with its code; a failing one with its own", async () => {
  let refuse = true;
  const { registry, client } = setUp(() => refuse);
  await assert.rejects(client.check({}), (err) => ConnectError.from(err).code === Code.Unauthenticated);
  refuse = false;
  await assert.rejects(client.check({ service: "nope" }), (err) => ConnectError.from(err).code === Code.NotFound);
  assert.equal(await sample(registry, `grpc_server_started_total{${check}}`), 2);
  assert.equal(await sample(registry, `grpc_server_handled_total{${check},grpc_code="Unauthenticated"}`), 1);
  assert.equal(await sample(registry, `grpc_server_handled_total{${check},grpc_code="NotFound"}`), 1);
  assert.equal(await sample(registry, `grpc_server_handled_total{${check},grpc_code="OK"}`), 0);
  assert.equal(await sample(registry, `grpc_server_handling_seconds_count{${check}}`), 2);
});

test("a server stream is counted when it ends, with the code it ends with (a cancelled watch: Canceled)", async () => {
  const { registry, client } = setUp();
  const abort = new AbortController();
  const stream = client.watch({}, { signal: abort.signal })[Symbol.asyncIterator]();
  await stream.next();
  assert.equal(await sample(registry, `grpc_server_started_total{${watch}}`), 1);
  assert.equal(await sample(registry, `grpc_server_handling_seconds_count{${watch}}`), 0, "not observed while open");
  abort.abort();
  await stream.next().catch(() => {});
  const deadline = Date.now() + 2000;
  while ((await sample(registry, `grpc_server_handling_seconds_count{${watch}}`)) === 0) {
    assert.ok(Date.now() < deadline, "the ended stream was never counted");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await sample(registry, `grpc_server_handled_total{${watch},grpc_code="Canceled"}`), 1);
});
