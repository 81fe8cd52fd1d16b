/** The watch limits over an in-memory Connect transport, with the health Watch as the watch and a fixed caller address. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { createHealthReporter } from "./health-service.js";
import { kPeerAddress } from "./peer-address.js";
import { createWatchLimitInterceptor } from "./watch-limit-interceptor.js";

function setUp(perAddress: number, addresses: () => string = () => "192.0.2.1") {
  const fromAddress: Interceptor = (next) => (req) => {
    req.contextValues.set(kPeerAddress, addresses());
    return next(req);
  };
  const reporter = createHealthReporter({ services: [], probe: () => true, probeIntervalMs: 60_000 });
  const transport = createRouterTransport((router) => reporter.register(router), {
    router: { interceptors: [fromAddress, createWatchLimitInterceptor({ perAddress, perClient: 100 })] },
  });
  return createClient(Health, transport);
}

async function firstMessage(client: ReturnType<typeof setUp>, signal: AbortSignal) {
  return client.watch({}, { signal })[Symbol.asyncIterator]().next();
}

test("a watch over the per-address limit is RESOURCE_EXHAUSTED; a cancelled one frees its slot; unary calls do not count", async () => {
  const client = setUp(1);
  const first = new AbortController();
  await firstMessage(client, first.signal);
  await assert.rejects(firstMessage(client, new AbortController().signal), (err) => {
    const e = ConnectError.from(err);
    return e.code === Code.ResourceExhausted && e.rawMessage.includes("192.0.2.1") && e.rawMessage.includes("SERVICE_MAX_WATCHES_PER_ADDRESS");
  });
  await client.check({}); // not a watch
  first.abort();
  const deadline = Date.now() + 2000;
  for (;;) {
    try {
      await firstMessage(client, new AbortController().signal);
      break;
    } catch (err) {
      assert.ok(Date.now() < deadline, `the slot was not freed: ${ConnectError.from(err).rawMessage}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
});

test("IPv6 callers of one /64 share the per-address limit; another /64 has its own", async () => {
  let address = "2001:db8:0:1::a";
  const client = setUp(1, () => address);
  const open = new AbortController();
  await firstMessage(client, open.signal);
  address = "2001:db8:0:1:ffff:ffff:ffff:fffe"; // another address of the same /64
  await assert.rejects(firstMessage(client, open.signal), (err) => {
    const e = ConnectError.from(err);
    return e.code === Code.ResourceExhausted && e.rawMessage.includes("too many open watch streams from 2001:db8:0:1::/64");
  });
  address = "2001:db8:0:2::a";
  await firstMessage(client, open.signal);
  open.abort();
});

test("a limit below 1 is a TypeError at construction", () => {
  assert.throws(() => createWatchLimitInterceptor({ perAddress: 0, perClient: 1 }), TypeError);
  assert.throws(() => createWatchLimitInterceptor({ perAddress: 1, perClient: 1.5 }), TypeError);
});
