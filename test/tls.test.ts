/**
 * The whole system over TLS: a CA and a certificate for localhost/127.0.0.1
 * made with openssl for this run; the auth provider (HTTPS/1.1) and both
 * services (h2 and HTTP/1.1 on one port, by ALPN) with TLS_CERT_FILE and
 * TLS_KEY_FILE; the services trust the CA for the JWKS (AUTH_CA_FILE). The
 * assistant works with --ca-file over every protocol and says what to do
 * without it; curl works over HTTP/1.1 and HTTP/2; shutdown stays graceful;
 * bad TLS settings stop each program with exit code 2, naming the setting.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { resolveIssuer, loadAuthProviderConfig } from "../auth-provider/config.js";
import { ConfigError } from "../common/env.js";
import { loadServerTls, trustedCertificates } from "../common/tls.js";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { expectCode } from "./support/assertions.js";
import { cliEnv, runCli } from "./support/cli.js";
import { runCommand } from "./support/commands.js";
import { startProcess, tempDataDir } from "./support/processes.js";
import { bearer, notesClient, serviceEnv, startSystem, transportFor, type SystemTls, type TestSystem } from "./support/system.js";

interface TestCertificates extends SystemTls {
  /** A key that does not belong to the certificate. */
  otherKeyFile: string;
}

/** A CA, and a server certificate it signed for localhost and 127.0.0.1 (EC P-256, valid two days). */
async function makeCertificates(dir: string): Promise<TestCertificates> {
  const file = (name: string) => join(dir, name);
  writeFileSync(file("ca.cnf"), "[req]\nprompt = no\ndistinguished_name = dn\nx509_extensions = ext\n[dn]\nCN = m2m-grpc test CA\n[ext]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n");
  writeFileSync(file("server.cnf"), "[req]\nprompt = no\ndistinguished_name = dn\n[dn]\nCN = localhost\n");
  writeFileSync(file("server-ext.cnf"), "[ext]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\nauthorityKeyIdentifier = keyid\n");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const steps = [
    ["req", "-x509", ...ec, "-config", file("ca.cnf"), "-days", "2", "-keyout", file("ca-key.pem"), "-out", file("ca.pem")],
    ["req", "-new", ...ec, "-config", file("server.cnf"), "-keyout", file("server-key.pem"), "-out", file("server.csr")],
    ["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca-key.pem"), "-set_serial", "1", "-days", "2", "-extfile", file("server-ext.cnf"), "-extensions", "ext", "-out", file("server.pem")],
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file("other-key.pem")],
  ];
  for (const args of steps) {
    const result = await runCommand("openssl", args, { timeoutMs: 10_000 });
    assert.equal(result.code, 0, `openssl ${args.join(" ")}: ${result.stderr}`);
  }
  return { certFile: file("server.pem"), keyFile: file("server-key.pem"), caFile: file("ca.pem"), ca: readFileSync(file("ca.pem"), "utf8"), otherKeyFile: file("other-key.pem") };
}

const certDir = tempDataDir();
let certs: TestCertificates;
let system: TestSystem;
before(async () => {
  certs = await makeCertificates(certDir.path);
  system = await startSystem({ tls: certs });
});
after(async () => {
  await system?.stop();
  certDir.remove();
});

const curl = (args: string[]) => runCommand("curl", ["--silent", "--show-error", "--write-out", "\n%{http_code} %{http_version}", ...args], { timeoutMs: 10_000 });

function parseCurl(stdout: string): { status: string; version: string; body: Record<string, unknown> } {
  const lines = stdout.split("\n");
  const [status, version] = lines.pop()!.split(" ") as [string, string];
  return { status, version, body: JSON.parse(lines.join("\n") || "{}") as Record<string, unknown> };
}

describe("settings", () => {
  test("TLS_CERT_FILE and TLS_KEY_FILE: neither is cleartext; a pair is read; the issuer defaults to https", () => {
    assert.equal(loadServerTls({}), undefined);
    const tls = loadServerTls({ TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.keyFile });
    assert.ok(tls && tls.cert.length > 0 && tls.key.length > 0);
    const config = loadAuthProviderConfig({ TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.keyFile });
    assert.equal(resolveIssuer(config, 4443), "https://localhost:4443/auth");
    assert.equal(resolveIssuer(loadAuthProviderConfig({}), 4443), "http://localhost:4443/auth");
  });

  const bad: [string, Record<string, string>, string, RegExp][] = [
    ["only a key", { TLS_KEY_FILE: "key.pem" }, "TLS_CERT_FILE", /is not set but TLS_KEY_FILE is/],
    ["a missing certificate file", { TLS_CERT_FILE: "/nonexistent/cert.pem", TLS_KEY_FILE: "key.pem" }, "TLS_CERT_FILE", /cannot read "\/nonexistent\/cert.pem": no such file/],
    ["a key as the certificate", { TLS_CERT_FILE: "KEY", TLS_KEY_FILE: "KEY" }, "TLS_CERT_FILE", /holds no PEM certificate/],
    ["a certificate as the key", { TLS_CERT_FILE: "CERT", TLS_KEY_FILE: "CERT" }, "TLS_KEY_FILE", /is not an unencrypted PEM private key/],
    ["a key of another certificate", { TLS_CERT_FILE: "CERT", TLS_KEY_FILE: "OTHER" }, "TLS_KEY_FILE", /does not match the certificate in TLS_CERT_FILE/],
  ];
  for (const [what, env, setting, message] of bad) {
    test(`${what} is a ConfigError naming ${setting}`, () => {
      const files: Record<string, string> = { CERT: certs.certFile, KEY: certs.keyFile, OTHER: certs.otherKeyFile };
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, files[v] ?? v]));
      assert.throws(
        () => loadServerTls(resolved),
        (err: unknown) => err instanceof ConfigError && err.setting === setting && message.test(err.message) && !err.message.includes("\n"),
      );
    });
  }
});

describe("the assistant over TLS", () => {
  const withCa = (extra: Record<string, string | undefined> = {}) => cliEnv(system, { ASSISTANT_CA_FILE: certs.caFile, ...extra });

  for (const protocol of ["grpc", "connect", "grpc-web"]) {
    test(`with --ca-file it gets tokens, creates and lists over ${protocol}`, async () => {
      const env = cliEnv(system);
      const run = async (args: string[]) => {
        const result = await runCli(["--ca-file", certs.caFile, "--protocol", protocol, "--output", "json", ...args], env);
        assert.equal(result.code, 0, `assistant ${args.join(" ")}: ${result.stderr}`);
        return JSON.parse(result.stdout) as Record<string, unknown>;
      };
      const { note } = (await run(["note", "add", `over TLS (${protocol})`])) as { note: { id: string } };
      const { notes } = (await run(["note", "list"])) as { notes: { id: string }[] };
      assert.ok(notes.some((n) => n.id === note.id));
      const { event } = (await run(["calendar", "add", `over TLS (${protocol})`, "--start", "2030-03-01T09:00Z"])) as { event: { id: string } };
      const { events } = (await run(["calendar", "list", "--from", "2030-03-01", "--to", "2030-03-02"])) as { events: { id: string }[] };
      assert.ok(events.some((e) => e.id === event.id));
    });
  }

  test("without the CA the auth provider is unreachable, with a message about its certificate (exit 5)", async () => {
    const result = await runCli(["note", "list"], cliEnv(system));
    assert.equal(result.code, 5, result.stderr);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`cannot reach the auth provider: TLS: the certificate of ${escape(system.auth.url)} is not trusted \\(\\w+\\) — pass --ca-file`));
  });

  test("without the CA a service is unreachable, with a message about its certificate (exit 5)", async () => {
    // A token cached by a run with the CA, so the run without it goes straight to the service.
    const env = withCa();
    assert.equal((await runCli(["calendar", "list"], env)).code, 0);
    for (const protocol of ["grpc", "connect", "grpc-web"]) {
      const result = await runCli(["--protocol", protocol, "calendar", "list"], { ...env, ASSISTANT_CA_FILE: undefined });
      assert.equal(result.code, 5, result.stderr);
      assert.match(result.stderr, new RegExp(`cannot reach the service: TLS: the certificate of ${escape(system.calendar.url)} is not trusted \\(\\w+\\) — pass --ca-file`));
    }
  });

  test("an unreadable --ca-file is a usage error naming the option (exit 2)", async () => {
    const result = await runCli(["--ca-file", join(certDir.path, "missing.pem"), "note", "list"], cliEnv(system));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--ca-file: cannot read ".*missing\.pem": no such file/);
  });
});

describe("other clients over TLS", () => {
  test("curl: Connect JSON over HTTP/1.1 and over HTTP/2 on the service port; refused without the CA", async () => {
    const token = await system.token("note-service", "note.read note.write");
    const url = `${system.notes.url}/m2m.notes.v1.NoteService/CreateNote`;
    const args = ["--cacert", certs.caFile, "-H", `authorization: Bearer ${token}`, "-H", "content-type: application/json", "-d", '{"note":{"title":"curl over TLS"}}', url];
    const h1 = parseCurl((await curl(["--http1.1", ...args])).stdout);
    assert.deepEqual([h1.status, h1.version], ["200", "1.1"]);
    assert.equal((h1.body["note"] as { title: string }).title, "curl over TLS");
    const h2 = parseCurl((await curl(["--http2", ...args])).stdout);
    assert.deepEqual([h2.status, h2.version], ["200", "2"]);
    const untrusted = await curl(["--http1.1", ...args.slice(2)]);
    assert.equal(untrusted.code, 60, "curl: peer certificate cannot be authenticated with known CA certificates");
  });

  test("the auth provider serves HTTPS/1.1 only (express does not run on HTTP/2), with an https issuer", async () => {
    const discovery = `${system.auth.url}/auth/.well-known/openid-configuration`;
    const h1 = parseCurl((await curl(["--cacert", certs.caFile, discovery])).stdout);
    assert.deepEqual([h1.status, h1.version], ["200", "1.1"]);
    assert.match(String(h1.body["issuer"]), /^https:\/\/localhost:\d+\/auth$/);
    assert.equal(h1.body["issuer"], system.issuer);
    // A client offering h2 is answered with HTTP/1.1: ALPN offers only http/1.1.
    const offered = parseCurl((await curl(["--http2", "--cacert", certs.caFile, discovery])).stdout);
    assert.deepEqual([offered.status, offered.version], ["200", "1.1"]);
  });

  test("gRPC negotiates HTTP/2 by ALPN, and a call succeeds", async () => {
    const session = http2.connect(system.calendar.url, { ca: trustedCertificates(certs.ca) });
    try {
      await new Promise<void>((resolve, reject) => {
        session.once("connect", () => resolve());
        session.once("error", reject);
      });
      assert.equal(session.alpnProtocol, "h2");
    } finally {
      session.close();
    }
    const { note } = await notesClient(system, "grpc").createNote({ note: { title: "grpc over TLS" } });
    assert.equal((await notesClient(system, "grpc-web").getNote({ id: note!.id })).note!.title, "grpc over TLS");
  });
});

describe("lifecycle over TLS", () => {
  test("SIGTERM ends open watch streams with UNAVAILABLE and exits 0, as in cleartext", async () => {
    const it = notesClient(system, "grpc").watchNotes({})[Symbol.asyncIterator]();
    await it.next();
    const exited = system.notes.stop("SIGTERM");
    await assert.rejects(it.next(), (err) => {
      const e = ConnectError.from(err);
      return e.code === Code.Unavailable && e.rawMessage.includes("shutting down");
    });
    assert.equal(await exited, 0);
    assert.equal(system.notes.logs().map((l) => l["msg"]).at(-1), "stopped");
    await system.restart("notes");
    assert.ok((await notesClient(system, "connect").listNotes({})).notes.length > 0);
  });

  test("a service that does not trust the auth provider's certificate answers UNAVAILABLE, naming AUTH_CA_FILE", async () => {
    const env = { ...serviceEnv("calendar", system.dataDir, system.issuer, system.auth.url), TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.keyFile };
    const calendar = await startProcess("calendar/main.js", { env });
    try {
      const token = await system.token("calendar-service", "calendar.read");
      const client = createClient(CalendarService, transportFor("grpc", `https://127.0.0.1:${calendar.port}`, [bearer(token)], certs.ca));
      await expectCode(client.listEvents({}), Code.Unavailable, "is not trusted");
      const warning = calendar.logs().find((l) => String(l["error"] ?? "").includes("not trusted"));
      assert.match(String(warning?.["error"]), /trust its CA \(AUTH_CA_FILE\)/);
    } finally {
      await calendar.stop();
    }
  });

  test("bad TLS settings stop each program with exit code 2 and one line naming the setting", async () => {
    const data = tempDataDir();
    try {
      const cases: [string, Record<string, string>, RegExp][] = [
        ["auth-provider/main.js", { AUTH_PORT: "0", TLS_CERT_FILE: join(data.path, "none.pem"), TLS_KEY_FILE: certs.keyFile }, /auth-provider: configuration error: TLS_CERT_FILE: cannot read ".*none\.pem": no such file/],
        ["calendar/main.js", { CALENDAR_PORT: "0", TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.otherKeyFile }, /calendar: configuration error: TLS_KEY_FILE: ".*other-key\.pem" does not match the certificate in TLS_CERT_FILE/],
        ["notes/main.js", { NOTES_PORT: "0", AUTH_CA_FILE: certs.keyFile }, /notes: configuration error: AUTH_CA_FILE: ".*server-key\.pem" holds no PEM certificate/],
      ];
      await Promise.all(
        cases.map(([entry, env, message]) =>
          assert.rejects(startProcess(entry, { env: { DATA_DIR: data.path, ...env } }), (err: Error) => {
            assert.match(err.message, /exited with 2 before listening/);
            assert.match(err.message, message);
            assert.equal(err.message.split("\n").filter((line) => line.includes("configuration error")).length, 1);
            return true;
          }),
        ),
      );
    } finally {
      data.remove();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
