/** Unit tests of the audit trail's setting and writer: in order, appended, mode 0600, unwritable named. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError } from "../../common/env.js";
import { auditEvent } from "./audit-events.js";
import { openAuditLog, readAuditLogTarget } from "./audit-log.js";

const dir = mkdtempSync(join(tmpdir(), "audit-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { error: () => {} };

describe("AUTH_AUDIT_LOG", () => {
  it("defaults to audit.jsonl in the data directory; - is stdout, off is off", () => {
    assert.deepEqual(readAuditLogTarget({}, "/data"), { kind: "file", path: "/data/audit.jsonl" });
    assert.deepEqual(readAuditLogTarget({ AUTH_AUDIT_LOG: "-" }, "/data"), { kind: "stdout" });
    assert.deepEqual(readAuditLogTarget({ AUTH_AUDIT_LOG: "off" }, "/data"), { kind: "off" });
    assert.deepEqual(readAuditLogTarget({ AUTH_AUDIT_LOG: "/var/x.jsonl" }, "/data"), { kind: "file", path: "/var/x.jsonl" });
  });

  it("appends lines in order to a file of mode 0600, creating its directory", async () => {
    const path = join(dir, "nested", "audit.jsonl");
    for (const round of [1, 2]) {
      const log = openAuditLog({ kind: "file", path }, quiet);
      for (let i = 0; i < 100; i++) log.write(auditEvent("token.issued", { actor: "cron", subject: "cron" }, { round, i }));
      await log.close();
    }
    const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { round: number; i: number });
    assert.equal(lines.length, 200);
    lines.forEach((line, n) => assert.deepEqual([line.round, line.i], [n < 100 ? 1 : 2, n % 100]));
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it("an unwritable file is a ConfigError naming AUTH_AUDIT_LOG", () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "");
    assert.throws(
      () => openAuditLog({ kind: "file", path: join(blocker, "audit.jsonl") }, quiet),
      (err: unknown) => err instanceof ConfigError && /^AUTH_AUDIT_LOG: cannot append to the audit trail/.test(err.message),
    );
  });
});
