/**
 * How the real process fails to start: a configuration error exits with 2
 * and one line naming the setting; a taken port or a broken keys file exits
 * with 1 and one clear line.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { distPath, startProcess, tempDataDir } from "./support/processes.js";

let dataDir: { path: string; remove(): void };

before(() => {
  dataDir = tempDataDir();
});
after(() => dataDir?.remove());

/** Runs main.js until it exits (it should not start); resolves once all of its output has been read. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [distPath("auth-provider/main.js")], {
    env: { ...process.env, AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: dataDir.path, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("start-up failures", () => {
  const configCases: [Record<string, string>, string][] = [
    [{ AUTH_TOKEN_TTL_SECONDS: "10" }, "AUTH_TOKEN_TTL_SECONDS"],
    [{ AUTH_PORT: "http" }, "AUTH_PORT"],
    [{ AUTH_ISSUER: "http://localhost:3001/auth?x=1" }, "AUTH_ISSUER"],
    [{ AUTH_ISSUER: "ftp://example" }, "AUTH_ISSUER"],
  ];
  for (const [env, setting] of configCases) {
    it(`exits with 2 and one line naming ${setting} for ${JSON.stringify(env)}`, async () => {
      const result = await runToExit(env);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, new RegExp(`^auth-provider: configuration error: ${setting}: .+\\n$`));
    });
  }

  it("exits with 1 when the port is taken", async () => {
    const first = await startProcess("auth-provider/main.js", {
      env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: dataDir.path },
    });
    try {
      const result = await runToExit({ AUTH_PORT: String(first.port) });
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /cannot listen on 127\.0\.0\.1:\d+: the port is already in use \(set AUTH_PORT\)/);
    } finally {
      assert.equal(await first.stop(), 0);
    }
  });

  it("exits with 1 and names the file when issuer-keys.json is broken", async () => {
    const other = tempDataDir();
    try {
      writeFileSync(join(other.path, "issuer-keys.json"), "{not json");
      const result = await runToExit({ DATA_DIR: other.path });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /issuer-keys\.json is not a valid issuer keys file \(not JSON\)/);
    } finally {
      other.remove();
    }
  });
});
