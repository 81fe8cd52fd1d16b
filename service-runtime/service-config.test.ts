/**
 * A service's public URLs (<PREFIX>_PUBLIC_URLS): the base URLs DPoP proofs may name behind a proxy.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../common/env.js";
import { loadServiceConfig } from "./service-config.js";

const identity = { name: "notes", envPrefix: "NOTES", defaultPort: 3012, defaultAudience: "note-service" };

test("NOTES_PUBLIC_URLS: none by default; a comma-separated list of http(s) base URLs, trailing slashes dropped", () => {
  assert.deepEqual(loadServiceConfig({}, identity).publicUrls, []);
  assert.deepEqual(loadServiceConfig({ NOTES_PUBLIC_URLS: "https://notes.example.com/, https://notes.example.com:8443/api" }, identity).publicUrls, [
    "https://notes.example.com",
    "https://notes.example.com:8443/api",
  ]);
});

test("NOTES_PUBLIC_URLS: anything but a base http(s) URL is a ConfigError naming the setting", () => {
  for (const bad of ["notes.example.com", "ftp://notes.example.com", "https://notes.example.com/?a=1", "https://notes.example.com/#x"]) {
    assert.throws(() => loadServiceConfig({ NOTES_PUBLIC_URLS: bad }, identity), (err: unknown) => err instanceof ConfigError && err.setting === "NOTES_PUBLIC_URLS", bad);
  }
});
