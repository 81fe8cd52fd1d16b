/**
 * Two `authorization` fields in one request, against real services. Node keeps
 * only the first in `req.headers` and its HTTP/2 client refuses to send two, so
 * the requests here are made by Connect's own clients over connections that
 * add a second field on the wire: appended to the HTTP/2 HEADERS frame (an HPACK
 * literal that leaves both sides' tables alone) or to the HTTP/1.1 header block.
 * Every combination — gRPC and Connect over HTTP/2, Connect and gRPC-Web over
 * HTTP/1.1, cleartext and TLS, a valid token first or second — must be refused
 * with UNAUTHENTICATED, the AuthError detail MALFORMED_AUTHORIZATION and an
 * `invalid_request` challenge. The same connections with a single field work.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { runCommand } from "./support/commands.js";
import { appendingHttp2Connection, hpackLiteral } from "./support/http2-extra-fields.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { serviceEnv, startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
/** A calendar service serving TLS (h2 and HTTP/1.1 by ALPN), verifying tokens of the same auth provider. */
let tlsCalendar: RunningProcess;
let certificate: string;
const tlsDir = tempDataDir();

before(async () => {
  const [cert, key] = [join(tlsDir.path, "cert.pem"), join(tlsDir.path, "key.pem")];
  const made = await runCommand("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2", "-keyout", key, "-out", cert,
  ], { timeoutMs: 10_000 });
  assert.equal(made.code, 0, made.stderr);
  certificate = readFileSync(cert, "utf8");
  system = await startSystem();
  tlsCalendar = await startProcess("calendar/main.js", {
    env: { ...serviceEnv("calendar", tlsDir.path, system.issuer, system.auth.url), TLS_CERT_FILE: cert, TLS_KEY_FILE: key },
  });
});
after(async () => {
  await tlsCalendar?.stop();
  await system?.stop();
  tlsDir.remove();
});

/** An HTTP/1.1 socket that adds the line `field` at the end of the first header block written to it. */
function appendingHttp1Socket(socket: net.Socket, field: string): net.Socket {
  const write = socket.write;
  let done = false;
  socket.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
    if (!done && (typeof chunk === "string" || Buffer.isBuffer(chunk))) {
      const text = Buffer.isBuffer(chunk) ? chunk.toString("latin1") : chunk;
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        done = true;
        // A Buffer now: an encoding argument after it is ignored.
        chunk = Buffer.from(`${text.slice(0, end + 2)}${field}${text.slice(end + 2)}`, "latin1");
      }
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof socket.write;
  return socket;
}

type Kind = "grpc over HTTP/2" | "connect over HTTP/2" | "connect over HTTP/1.1" | "grpc-web over HTTP/1.1";
const kinds: Kind[] = ["grpc over HTTP/2", "connect over HTTP/2", "connect over HTTP/1.1", "grpc-web over HTTP/1.1"];

/**
 * A transport of `kind` to `baseUrl` whose every request carries, after its own headers, the extra field
 * `authorization: <second>` (none when `second` is undefined). Over https it trusts the test certificate.
 */
function transportWithSecondAuthorization(kind: Kind, baseUrl: string, second: string | undefined): Transport {
  const url = new URL(baseUrl);
  const [host, port, secure] = [url.hostname, Number(url.port), url.protocol === "https:"];
  const open = (alpn: string) =>
    secure ? tls.connect({ host, port, ca: certificate, ALPNProtocols: [alpn] }) : net.connect({ host, port });
  if (kind.endsWith("HTTP/2")) {
    const createConnection = () => (second === undefined ? open("h2") : appendingHttp2Connection(open("h2"), hpackLiteral("authorization", second)));
    const options = { baseUrl, nodeOptions: { createConnection } };
    return kind.startsWith("grpc") ? createGrpcTransport(options) : createConnectTransport({ ...options, httpVersion: "2" });
  }
  // With createConnection and no agent, Node opens a fresh connection per request, so each one passes the rewrite.
  const createConnection = () => (second === undefined ? open("http/1.1") : appendingHttp1Socket(open("http/1.1"), `authorization: ${second}\r\n`));
  const options = { baseUrl, httpVersion: "1.1" as const, nodeOptions: { createConnection } };
  return kind.startsWith("grpc-web") ? createGrpcWebTransport(options) : createConnectTransport(options);
}

async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail("the call succeeded but must be refused: it carried two authorization values");
}

function assertTwoValuesRefused(err: ConnectError): void {
  assert.equal(Code[err.code], Code[Code.Unauthenticated], `code (message: ${err.rawMessage})`);
  assert.match(err.rawMessage, /more than one authorization value/);
  const [detail] = err.findDetails(AuthErrorSchema);
  assert.ok(detail, "an m2m.auth.v1.AuthError detail");
  assert.equal(AuthFailureReason[detail.reason], AuthFailureReason[AuthFailureReason.MALFORMED_AUTHORIZATION]);
  assert.match(err.metadata.get("www-authenticate") ?? "", /^Bearer realm="calendar-service", error="invalid_request", error_description="more than one authorization value/);
}

const validToken = async () => `Bearer ${await system.token("calendar-service", "calendar.read")}`;
const junk = "Bearer junk";

for (const secure of [false, true]) {
  describe(`two authorization fields at the calendar service, ${secure ? "TLS" : "cleartext"}`, () => {
    const baseUrl = () => (secure ? `https://127.0.0.1:${tlsCalendar.port}` : system.calendar.url);
    const listEvents = (kind: Kind, first: string, second: string | undefined) =>
      createClient(CalendarService, transportWithSecondAuthorization(kind, baseUrl(), second)).listEvents({}, { headers: { authorization: first }, timeoutMs: 10_000 });

    for (const kind of kinds) {
      test(`${kind}, one valid value: accepted (the connection itself is sound)`, async () => {
        await listEvents(kind, await validToken(), undefined);
      });
      test(`${kind}, a valid token first and junk second: UNAUTHENTICATED`, async () => {
        assertTwoValuesRefused(await refusal(listEvents(kind, await validToken(), junk)));
      });
      test(`${kind}, junk first and a valid token second: UNAUTHENTICATED`, async () => {
        assertTwoValuesRefused(await refusal(listEvents(kind, junk, await validToken())));
      });
    }

    test("the same valid token twice (gRPC over HTTP/2): UNAUTHENTICATED, and it stays refused once the token is cached", async () => {
      const token = await validToken();
      await listEvents("grpc over HTTP/2", token, undefined); // now in the verified-token cache
      assertTwoValuesRefused(await refusal(listEvents("grpc over HTTP/2", token, token)));
      assertTwoValuesRefused(await refusal(listEvents("connect over HTTP/1.1", token, token)));
    });
  });
}

describe("two authorization fields elsewhere", () => {
  test("the notes service refuses them too (gRPC over HTTP/2)", async () => {
    const token = `Bearer ${await system.token("note-service", "note.read")}`;
    const notes = createClient(NoteService, transportWithSecondAuthorization("grpc over HTTP/2", system.notes.url, junk));
    const err = await refusal(notes.listNotes({}, { headers: { authorization: token } }));
    assert.equal(Code[err.code], Code[Code.Unauthenticated]);
    assert.equal(err.findDetails(AuthErrorSchema)[0]?.reason, AuthFailureReason.MALFORMED_AUTHORIZATION);
  });

  test("a public method reads no token, so it answers whatever authorization fields come (health check)", async () => {
    const health = createClient(Health, transportWithSecondAuthorization("grpc over HTTP/2", system.calendar.url, junk));
    const response = await health.check({}, { headers: { authorization: await validToken() } });
    assert.equal(response.status, HealthCheckResponse_ServingStatus.SERVING);
  });
});
