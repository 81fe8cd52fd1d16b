import assert from "node:assert/strict";
import { test } from "node:test";
import { CliError } from "../common/cli-error.js";
import { parseDuration, parseTimeInput } from "./time-input.js";

const now = new Date("2030-06-15T12:00:00Z");

test("relative times", () => {
  assert.equal(parseTimeInput("--start", "now", now).toISOString(), "2030-06-15T12:00:00.000Z");
  assert.equal(parseTimeInput("--start", "+1h", now).toISOString(), "2030-06-15T13:00:00.000Z");
  assert.equal(parseTimeInput("--start", "-30m", now).toISOString(), "2030-06-15T11:30:00.000Z");
  assert.equal(parseTimeInput("--start", "+2d", now).toISOString(), "2030-06-17T12:00:00.000Z");
  assert.equal(parseTimeInput("--start", "+1w", now).toISOString(), "2030-06-22T12:00:00.000Z");
  assert.equal(parseTimeInput("--start", "+1.5h", now).toISOString(), "2030-06-15T13:30:00.000Z");
});

test("ISO 8601 with a zone, or local time without one", () => {
  assert.equal(parseTimeInput("--start", "2030-01-31T09:00Z", now).toISOString(), "2030-01-31T09:00:00.000Z");
  assert.equal(parseTimeInput("--start", "2030-01-31T09:00:00.5+02:00", now).toISOString(), "2030-01-31T07:00:00.500Z");
  const local = parseTimeInput("--start", "2030-01-31 09:00", now);
  assert.deepEqual([local.getFullYear(), local.getMonth(), local.getDate(), local.getHours()], [2030, 0, 31, 9]);
  const day = parseTimeInput("--start", "2030-01-31", now);
  assert.deepEqual([day.getDate(), day.getHours(), day.getMinutes()], [31, 0, 0]);
  const tomorrow = parseTimeInput("--start", "tomorrow", now);
  assert.equal(tomorrow.getHours(), 0);
  assert.equal(tomorrow.getTime() - parseTimeInput("--start", "today", now).getTime(), 86_400_000);
});

test("anything else is a usage error that names the option and shows examples", () => {
  for (const bad of ["next week", "+1y", "2030-13-01", "2030-02-30", "2030-02-30T09:00Z", "2030-01-01T25:00", "", "1h"]) {
    assert.throws(() => parseTimeInput("--end", bad, now), (err) => err instanceof CliError && err.kind === "usage" && err.message.startsWith(`--end "${bad}" is not a time`));
  }
});

test("durations", () => {
  assert.equal(parseDuration("--duration", "30m"), 1_800_000);
  assert.equal(parseDuration("--duration", "1.5h"), 5_400_000);
  for (const bad of ["0m", "-1h", "soon", "1"]) assert.throws(() => parseDuration("--duration", bad), CliError);
});
