/**
 * The generated Calendar and Note clients over the chosen protocol, each
 * adding its own audience's tokens.
 */
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import type { AssistantSettings, Protocol } from "./settings.js";
import { createTokenInterceptor } from "./token-interceptor.js";
import type { TokenProvider } from "./token-provider.js";

export type CalendarClient = Client<typeof CalendarService>;
export type NotesClient = Client<typeof NoteService>;

export interface ServiceClients {
  calendar: CalendarClient;
  notes: NotesClient;
}

/** One transport per protocol; all use HTTP/2, which the services speak on their one port. */
export function createTransport(protocol: Protocol, baseUrl: string, interceptors: Interceptor[]): Transport {
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "2", interceptors });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "2", interceptors });
  }
}

export function createServiceClients(settings: AssistantSettings, tokens: TokenProvider): ServiceClients {
  return {
    calendar: createClient(
      CalendarService,
      createTransport(settings.protocol, settings.calendarUrl, [createTokenInterceptor(tokens, settings.calendarAudience)]),
    ),
    notes: createClient(NoteService, createTransport(settings.protocol, settings.notesUrl, [createTokenInterceptor(tokens, settings.notesAudience)])),
  };
}
