import assert from "node:assert/strict";
import { test } from "node:test";
import { CliError } from "../../common/cli-error.js";
import { loadScopeCatalog } from "../policy/scope-catalog.js";
import {
  checkGrantsInCatalog,
  describeSeconds,
  maxOverlapSeconds,
  parseDuration,
  parseGrant,
  parseGrants,
  parseMaxTokensPerMinute,
  parseTokenTtlChange,
} from "./admin-input.js";

function usageError(action: () => unknown, message: RegExp): void {
  assert.throws(action, (err: unknown) => err instanceof CliError && err.kind === "usage" && message.test(err.message));
}

test("a grant is split at the last colon; several scopes are comma-separated", () => {
  assert.deepEqual(parseGrant("--grant", "note-service:note.read"), { audience: "note-service", scopes: ["note.read"] });
  assert.deepEqual(parseGrant("--grant", "note-service:note.write,note.read,note.write"), { audience: "note-service", scopes: ["note.read", "note.write"] });
  assert.deepEqual(parseGrant("--grant", "https://billing.example:8443/api:billing.read"), { audience: "https://billing.example:8443/api", scopes: ["billing.read"] });
});

test("malformed grants are usage errors naming the option and the value", () => {
  for (const value of ["note-service", "note-service:", ":note.read", "note-service:,", ""]) {
    usageError(() => parseGrant("--grant", value), new RegExp(`^invalid --grant ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}: use AUDIENCE:SCOPE`));
  }
  usageError(() => parseGrant("--add-grant", 'note-service:note "read'), /^invalid --add-grant .*: no spaces, quotes, backslashes/);
  usageError(() => parseGrant("--grant", "note service:note.read"), /no spaces/);
  usageError(() => parseGrant("--grant", "a\\b:c"), /backslashes/);
});

test("repeated grants merge per audience, sorted; none is a usage error", () => {
  assert.deepEqual(parseGrants("--grant", ["note-service:note.write", "calendar-service:calendar.read", "note-service:note.read"]), [
    { audience: "calendar-service", scopes: ["calendar.read"] },
    { audience: "note-service", scopes: ["note.read", "note.write"] },
  ]);
  usageError(() => parseGrants("--grant", undefined), /^--grant needs at least one AUDIENCE:SCOPE/);
  usageError(() => parseGrants("--grant", []), /needs at least one/);
});

test("grants are checked against the catalog: unknown audiences and scopes are named", () => {
  const catalog = loadScopeCatalog({ AUTH_EXTRA_AUDIENCES: "billing=billing.read" });
  checkGrantsInCatalog("--grant", [{ audience: "billing", scopes: ["billing.read"] }, { audience: "note-service", scopes: ["note.read"] }], catalog);
  usageError(
    () => checkGrantsInCatalog("--grant", [{ audience: "mail", scopes: ["mail.send"] }], catalog),
    /^--grant: unknown audience "mail"; the known audiences are billing, calendar-service, note-service \(add another with AUTH_EXTRA_AUDIENCES=/,
  );
  usageError(
    () => checkGrantsInCatalog("--add-grant", [{ audience: "note-service", scopes: ["note.admin", "note.read"] }], catalog),
    /^--add-grant: audience "note-service" defines no scope "note\.admin"; its scopes are note\.read note\.write$/,
  );
});

test("durations: a whole number with s, m, h or d, more than zero and at most the maximum", () => {
  assert.equal(parseDuration("--overlap", "90s", maxOverlapSeconds), 90);
  assert.equal(parseDuration("--overlap", "30m", maxOverlapSeconds), 1800);
  assert.equal(parseDuration("--overlap", "24h", maxOverlapSeconds), 86_400);
  assert.equal(parseDuration("--overlap", "1d", maxOverlapSeconds), 86_400);
  assert.equal(parseDuration("--overlap", "30d", maxOverlapSeconds), maxOverlapSeconds);
  for (const value of ["0s", "31d", "721h", "1w", "1.5h", "h", "10", "-1h", " 1h", "1h30m"]) {
    usageError(() => parseDuration("--overlap", value, maxOverlapSeconds), /^invalid --overlap .*: use a whole number with s, m, h or d \(e\.g\. 90s, 30m, 24h, 1d\), at most 30d$/);
  }
  assert.deepEqual([30 * 86_400, 7200, 90, 61].map(describeSeconds), ["30d", "2h", "90s", "61s"]);
});

test("update values: a ttl or default, a budget or none", () => {
  assert.equal(parseTokenTtlChange("600"), 600);
  assert.equal(parseTokenTtlChange("default"), null);
  usageError(() => parseTokenTtlChange("59"), /^invalid --token-ttl "59": use whole seconds from 60 to 86400$/);
  usageError(() => parseTokenTtlChange("never"), /or "default"$/);
  assert.equal(parseMaxTokensPerMinute("30"), 30);
  assert.equal(parseMaxTokensPerMinute("none", { allowNone: true }), null);
  usageError(() => parseMaxTokensPerMinute("none"), /^invalid --max-tokens-per-minute "none": use a whole number from 1 to 1000000$/);
  usageError(() => parseMaxTokensPerMinute("0", { allowNone: true }), /from 1 to 1000000, or "none"$/);
  usageError(() => parseMaxTokensPerMinute("1000001"), /from 1 to 1000000/);
});
