/**
 * A plain @grpc/grpc-js server answering NoteService/ListNotes, without
 * authentication, for comparison only: the same store on the notes service's
 * SQLite file and the same protobuf-es messages, with grpc-js's HTTP/2 stack
 * in place of connect-node's.
 *
 * With AUTH_ISSUER, AUTH_JWKS_URL and BENCH_AUDIENCE set it runs the token
 * guard (interceptor/grpc-js-auth-interceptor.ts) in front: "grpc-js + guard".
 *
 * Environment: BENCH_PORT, DATA_DIR; optional AUTH_ISSUER, AUTH_JWKS_URL, BENCH_AUDIENCE.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ListNotesRequestSchema, ListNotesResponseSchema, NoteService, type ListNotesRequest, type ListNotesResponse } from "../gen/m2m/notes/v1/notes_pb.js";
import { createGrpcJsAuthInterceptor } from "../interceptor/grpc-js-auth-interceptor.js";
import { createJwksKeySource } from "../interceptor/jwks-key-source.js";
import { createAccessTokenVerifier } from "../interceptor/verify-access-token.js";
import { openNotesStore } from "./open-notes-store.js";

const store = await openNotesStore(process.env["DATA_DIR"] ?? "./data");

function codec<Desc extends DescMessage>(schema: Desc) {
  return {
    serialize: (message: MessageShape<Desc>) => Buffer.from(toBinary(schema, message)),
    deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
  };
}
const request = codec(ListNotesRequestSchema);
const response = codec(ListNotesResponseSchema);

const definition: grpc.ServiceDefinition = {
  ListNotes: {
    path: "/m2m.notes.v1.NoteService/ListNotes",
    requestStream: false,
    responseStream: false,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: response.serialize,
    responseDeserialize: response.deserialize,
  },
};

const listNotes: grpc.handleUnaryCall<ListNotesRequest, ListNotesResponse> = (call, callback) => {
  const limit = Math.min(Math.max(call.request.pageSize || 50, 1), 1000);
  store.list({ limit, where: [] }).then(
    ({ items: notes }) => callback(null, create(ListNotesResponseSchema, { notes })),
    (err: Error) => callback(err),
  );
};

/** The token guard, when the environment names an issuer, its keys and this server's audience. */
function guardInterceptors(): grpc.ServerInterceptor[] {
  const issuer = process.env["AUTH_ISSUER"];
  const jwksUrl = process.env["AUTH_JWKS_URL"];
  const audience = process.env["BENCH_AUDIENCE"];
  if (!issuer || !jwksUrl || !audience) return [];
  const verify = createAccessTokenVerifier({ issuer, audience, keys: createJwksKeySource({ url: jwksUrl }) });
  return [createGrpcJsAuthInterceptor({ grpc, verify, audience, services: [NoteService] })];
}

const server = new grpc.Server({ interceptors: guardInterceptors() });
server.addService(definition, { ListNotes: listNotes });
server.bindAsync(`127.0.0.1:${process.env["BENCH_PORT"]}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`grpc-js-server: ${err.message}\n`);
    process.exit(1);
  }
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
