/**
 * A plain @grpc/grpc-js server answering NoteService/ListNotes, without
 * authentication, for comparison only: the same store on the notes service's
 * SQLite file and the same protobuf-es messages, with grpc-js's HTTP/2 stack
 * in place of connect-node's.
 *
 * Environment: BENCH_PORT, DATA_DIR.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { join } from "node:path";
import { ListNotesRequestSchema, ListNotesResponseSchema, type ListNotesRequest, type ListNotesResponse } from "../gen/m2m/notes/v1/notes_pb.js";
import { createNoteStore, noteSchema } from "../notes/note-store.js";
import { openSqliteDatabase } from "../service-runtime/sqlite-database.js";

const store = createNoteStore(openSqliteDatabase(join(process.env["DATA_DIR"] ?? "./data", "notes.db"), noteSchema));

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
  const { notes } = store.list({ limit });
  callback(null, create(ListNotesResponseSchema, { notes }));
};

const server = new grpc.Server();
server.addService(definition, { ListNotes: listNotes });
server.bindAsync(`127.0.0.1:${process.env["BENCH_PORT"]}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`grpc-js-server: ${err.message}\n`);
    process.exit(1);
  }
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
