/**
 * The generated Calendar and Note clients over the chosen protocol, each
 * adding its own audience's tokens and retrying a read once when its replica
 * went away; over TLS they trust the CA of --ca-file and present the client
 * certificate of --client-cert. While tracing is on, each call is a client span.
 */
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { ClientCertificate } from "../common/client-certificate.js";
import { describeTlsFailure, trustedCertificates } from "../common/tls.js";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { CliError } from "../common/cli-error.js";
import type { AssistantSettings, Protocol } from "./settings.js";
import { caFileHint } from "./token-endpoint-client.js";
import { createReadRetryInterceptor } from "./read-retry-interceptor.js";
import { rpcClientSpanInterceptors } from "./rpc-client-spans.js";
import { createTokenInterceptor } from "./token-interceptor.js";
import type { TokenProvider } from "./token-provider.js";

export type CalendarClient = Client<typeof CalendarService>;
export type NotesClient = Client<typeof NoteService>;

export interface ServiceClients {
  calendar: CalendarClient;
  notes: NotesClient;
}

/**
 * One transport per protocol; all use HTTP/2, which the services speak on their one port (over TLS chosen by
 * ALPN). `ca` (PEM) is trusted for https URLs besides Node's built-in roots; `clientCertificate` is presented
 * when the server asks for one. A TLS failure (an untrusted certificate, ...) fails the call with UNAVAILABLE
 * caused by a CliError that says what to do.
 */
export function createTransport(protocol: Protocol, baseUrl: string, interceptors: Interceptor[], ca?: string, clientCertificate?: ClientCertificate): Transport {
  const tls = {
    ...(ca === undefined ? {} : { ca: trustedCertificates(ca) }),
    ...(clientCertificate === undefined ? {} : { cert: clientCertificate.cert, key: clientCertificate.key }),
  };
  const nodeOptions = Object.keys(tls).length === 0 ? {} : { nodeOptions: tls };
  const options = { baseUrl, interceptors: [explainTlsFailures(baseUrl), ...interceptors], ...nodeOptions };
  switch (protocol) {
    case "grpc":
      return createGrpcTransport(options);
    case "grpc-web":
      return createGrpcWebTransport({ ...options, httpVersion: "2" });
    case "connect":
      return createConnectTransport({ ...options, httpVersion: "2" });
  }
}

export function createServiceClients(settings: AssistantSettings, tokens: TokenProvider): ServiceClients {
  return {
    calendar: createClient(
      CalendarService,
      createTransport(
        settings.protocol,
        settings.calendarUrl,
        [createReadRetryInterceptor(), createTokenInterceptor(tokens, settings.calendarAudience), ...rpcClientSpanInterceptors()],
        settings.ca,
        settings.clientCertificate,
      ),
    ),
    notes: createClient(
      NoteService,
      createTransport(
        settings.protocol,
        settings.notesUrl,
        [createReadRetryInterceptor(), createTokenInterceptor(tokens, settings.notesAudience), ...rpcClientSpanInterceptors()],
        settings.ca,
        settings.clientCertificate,
      ),
    ),
  };
}

// Outermost, so it sees connection failures; errors that already carry a CliError (from getting a token) pass as they are.
function explainTlsFailures(baseUrl: string): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (hasCliError(err)) throw err;
      const tls = describeTlsFailure(err, baseUrl, caFileHint);
      if (tls === undefined) throw err;
      throw new ConnectError(tls, Code.Unavailable, undefined, undefined, new CliError("unreachable", `cannot reach the service: ${tls}`, { cause: err }));
    }
  };
}

function hasCliError(err: unknown): boolean {
  for (let cause: unknown = err, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof CliError) return true;
  }
  return false;
}
