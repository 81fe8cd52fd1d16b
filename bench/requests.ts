/**
 * The requests of each benchmark case, prepared once as LoadPlans: the same
 * ListNotes read over gRPC, Connect and REST (and over gRPC with a DPoP-bound
 * token), the token request, the watch.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { JsonWebKey } from "node:crypto";
import { ListNotesRequestSchema, WatchNotesRequestSchema } from "../gen/m2m/notes/v1/notes_pb.js";
import type { LoadPlan } from "./load-plan.js";
import type { ClientCredentials } from "../test/support/tokens.js";

const listNotesPath = "/m2m.notes.v1.NoteService/ListNotes";

/** How long and how hard: the parts of a plan that do not depend on the request. */
export interface LoadShape {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  calls?: number;
}

/** A gRPC message with its 5-byte envelope (uncompressed flag, big-endian length). */
function grpcEnvelope(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** Unary gRPC ListNotes; `pageToken` for a page in the middle. */
export function grpcListNotes(url: string, token: string | undefined, pageSize: number, shape: LoadShape, pageToken = ""): LoadPlan {
  const message = toBinary(ListNotesRequestSchema, { $typeName: "m2m.notes.v1.ListNotesRequest", pageSize, pageToken });
  return {
    kind: "grpc",
    url,
    method: "POST",
    path: listNotesPath,
    headers: { "content-type": "application/grpc+proto", te: "trailers", ...bearer(token) },
    bodyBase64: grpcEnvelope(message).toString("base64"),
    ...shape,
  };
}

/** More calls per second than any case reaches on this machine: enough DPoP proofs for a run are signed up front. */
const maxCallsPerSecond = 8000;

/**
 * Unary gRPC ListNotes with a DPoP-bound token: `authorization: DPoP <token>` and a fresh proof per call signed with
 * `privateJwk`, enough of them presigned for the whole run at up to 8 000 calls/s.
 */
export function grpcListNotesDpop(url: string, token: string, privateJwk: JsonWebKey, pageSize: number, shape: LoadShape): LoadPlan {
  const plan = grpcListNotes(url, undefined, pageSize, shape);
  const seconds = (shape.warmupMs + shape.durationMs) / 1000;
  const presigned = Math.max(1000, Math.ceil(maxCallsPerSecond * seconds), shape.calls ?? 0);
  return { ...plan, headers: { ...plan.headers, authorization: `DPoP ${token}` }, dpop: { privateJwk, accessToken: token, presigned } };
}

/** Unary Connect-protocol ListNotes (binary protobuf, POST) over HTTP/2. */
export function connectListNotes(url: string, token: string | undefined, pageSize: number, shape: LoadShape): LoadPlan {
  const message = toBinary(ListNotesRequestSchema, { $typeName: "m2m.notes.v1.ListNotesRequest", pageSize, pageToken: "" });
  return {
    kind: "connect",
    url,
    method: "POST",
    path: listNotesPath,
    headers: { "content-type": "application/proto", "connect-protocol-version": "1", ...bearer(token) },
    bodyBase64: Buffer.from(message).toString("base64"),
    ...shape,
  };
}

/** The REST design's GET /v1/notes over keep-alive HTTP/1.1 connections (one per caller). */
export function restListNotes(url: string, token: string, pageSize: number, shape: LoadShape): LoadPlan {
  return { kind: "http1", url, method: "GET", path: `/v1/notes?page_size=${pageSize}`, headers: bearer(token), bodyBase64: "", ...shape };
}

/** A client-credentials token request (client_secret_basic) over keep-alive HTTP/1.1 connections. */
export function tokenRequest(url: string, credentials: ClientCredentials, audience: string, scope: string, shape: LoadShape): LoadPlan {
  return clientCredentialsRequest(url, credentials, { grant_type: "client_credentials", audience, scope }, shape);
}

/** The same token request to oidc-provider (bench/oidc-provider-server.ts), naming the audience by its RFC 8707 resource indicator. */
export function peerTokenRequest(url: string, credentials: ClientCredentials, resource: string, scope: string, shape: LoadShape): LoadPlan {
  return clientCredentialsRequest(url, credentials, { grant_type: "client_credentials", resource, scope }, shape);
}

/** GET of the JWKS (the same path on our auth provider and on oidc-provider) over keep-alive HTTP/1.1 connections. */
export function jwksRequest(url: string, shape: LoadShape): LoadPlan {
  return { kind: "http1", url, method: "GET", path: "/auth/jwt/jwks.json", headers: {}, bodyBase64: "", ...shape };
}

function clientCredentialsRequest(url: string, credentials: ClientCredentials, form: Record<string, string>, shape: LoadShape): LoadPlan {
  const basic = Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString("base64");
  const body = new URLSearchParams(form).toString();
  return {
    kind: "http1",
    url,
    method: "POST",
    path: "/auth/oauth/token",
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    bodyBase64: Buffer.from(body).toString("base64"),
    ...shape,
  };
}

/** gRPC WatchNotes streams, each cancelled after its first message. */
export function watchNotes(url: string, token: string, shape: LoadShape): LoadPlan {
  const message = toBinary(WatchNotesRequestSchema, create(WatchNotesRequestSchema));
  return {
    kind: "watch",
    url,
    method: "POST",
    path: "/m2m.notes.v1.NoteService/WatchNotes",
    headers: { "content-type": "application/grpc+proto", te: "trailers", ...bearer(token) },
    bodyBase64: grpcEnvelope(message).toString("base64"),
    ...shape,
  };
}
