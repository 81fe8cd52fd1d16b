/** readTracingSettings: off unless an OTLP endpoint is set, off with OTEL_SDK_DISABLED=true, bad URLs named. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "./env.js";
import { readTracingSettings, tracingEnabled } from "./tracing.js";

test("off without an endpoint, even with other OTEL settings", () => {
  assert.equal(readTracingSettings({}, "notes"), undefined);
  assert.equal(readTracingSettings({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_ENDPOINT: "  " }, "notes"), undefined);
});

test("OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces; the part's name is the service name", () => {
  assert.deepEqual(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }, "auth-provider"), {
    tracesUrl: "http://collector:4318/v1/traces",
    serviceName: "auth-provider",
  });
});

test("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given and wins; OTEL_SERVICE_NAME names the service", () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b/traces", OTEL_SERVICE_NAME: "notes-eu" };
  assert.deepEqual(readTracingSettings(env, "notes"), { tracesUrl: "https://b/traces", serviceName: "notes-eu" });
});

test("OTEL_SDK_DISABLED=true turns it off", () => {
  assert.equal(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_SDK_DISABLED: "TRUE" }, "notes"), undefined);
  assert.ok(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_SDK_DISABLED: "false" }, "notes"));
});

test("an endpoint that is not an http(s) URL is a ConfigError naming the variable", () => {
  assert.throws(() => readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, "notes"), (err: unknown) => err instanceof ConfigError && err.setting === "OTEL_EXPORTER_OTLP_ENDPOINT");
  assert.throws(() => readTracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" }, "notes"), (err: unknown) => err instanceof ConfigError && err.setting === "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
});

test("nothing started: tracing is off", () => {
  assert.equal(tracingEnabled(), false);
});
