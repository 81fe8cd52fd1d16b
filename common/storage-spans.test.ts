/**
 * Storage spans: a child of the active span with the database attributes and no argument; none outside a span; a
 * failure marks the span. Uses an in-memory exporter registered for this test process only.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { withStorageSpans } from "./storage-spans.js";
import { m2mTracer } from "./tracing.js";

const exporter = new InMemorySpanExporter();
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();

const store = {
  backend: "sqlite",
  async find(id: string) {
    return id === "known" ? { id } : undefined;
  },
  async fail() {
    throw new TypeError("the secret s3cr3t is wrong");
  },
};

test("a call inside a span is its child, named collection.operation, with no argument recorded", async () => {
  exporter.reset();
  const traced = withStorageSpans(store, "sqlite", "clients", ["find", "fail"]);
  assert.equal(traced.backend, "sqlite", "other members stay");
  await m2mTracer().startActiveSpan("request", async (parent) => {
    assert.deepEqual(await traced.find("known"), { id: "known" });
    parent.end();
  });
  const [child, parent] = exporter.getFinishedSpans();
  assert.equal(child?.name, "clients.find");
  assert.equal(child?.parentSpanContext?.spanId, parent?.spanContext().spanId);
  assert.deepEqual(child?.attributes, { "db.system.name": "sqlite", "db.collection.name": "clients", "db.operation.name": "find" });
});

test("a call outside any span makes no span", async () => {
  exporter.reset();
  await withStorageSpans(store, "sqlite", "clients", ["find"]).find("known");
  assert.equal(exporter.getFinishedSpans().length, 0);
});

test("a failure marks the span with the error's class, not its message", async () => {
  exporter.reset();
  const traced = withStorageSpans(store, "postgresql", "clients", ["fail"]);
  await m2mTracer().startActiveSpan("request", async (parent) => {
    await assert.rejects(traced.fail(), TypeError);
    parent.end();
  });
  const [child] = exporter.getFinishedSpans();
  assert.deepEqual(child?.status, { code: SpanStatusCode.ERROR, message: "TypeError" });
});
