/** Server reflection, both versions, over an in-memory Connect transport. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { createDescriptorIndex } from "./descriptor-index.js";
import { registerReflection } from "./reflection-service.js";

const transport = createRouterTransport((router) => registerReflection(router, createDescriptorIndex([NoteService, v1.ServerReflection])));

/** Sends the requests on one stream (the request shapes are the same in both versions). */
async function ask(version: typeof v1 | typeof v1alpha, requests: object[]) {
  const client = createClient(version.ServerReflection, transport);
  const out = [];
  for await (const response of client.serverReflectionInfo((async function* () {
    for (const r of requests) yield r as never;
  })())) out.push(response);
  return out;
}

const fileNames = (response: v1.ServerReflectionResponse) =>
  response.messageResponse.case === "fileDescriptorResponse"
    ? response.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name)
    : [];

for (const version of [v1, v1alpha]) {
  test(`${version.ServerReflection.typeName}: services, symbols, files and extensions`, async () => {
    const [services, bySymbol, byMethod, byFile, extensions, unknown] = await ask(version, [
      { messageRequest: { case: "listServices", value: "" } },
      { messageRequest: { case: "fileContainingSymbol", value: "m2m.notes.v1.Note" } },
      { messageRequest: { case: "fileContainingSymbol", value: "m2m.notes.v1.NoteService.ListNotes" } },
      { messageRequest: { case: "fileByFilename", value: "m2m/auth/v1/auth.proto" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" } },
      { messageRequest: { case: "fileContainingSymbol", value: "no.such.Thing" } },
    ]);
    assert.deepEqual(
      services!.messageResponse.case === "listServicesResponse" && services!.messageResponse.value.service.map((s) => s.name),
      ["m2m.notes.v1.NoteService", "grpc.reflection.v1.ServerReflection"],
    );
    const notesFiles = fileNames(bySymbol as v1.ServerReflectionResponse);
    assert.equal(notesFiles[0], "m2m/notes/v1/notes.proto", "the defining file first");
    for (const dep of ["google/protobuf/timestamp.proto", "google/protobuf/field_mask.proto", "m2m/auth/v1/auth.proto", "google/protobuf/descriptor.proto"]) {
      assert.ok(notesFiles.includes(dep), `${dep} is sent with it`);
    }
    assert.equal(fileNames(byMethod as v1.ServerReflectionResponse)[0], "m2m/notes/v1/notes.proto");
    assert.equal(fileNames(byFile as v1.ServerReflectionResponse)[0], "m2m/auth/v1/auth.proto");
    assert.deepEqual(extensions!.messageResponse.case === "allExtensionNumbersResponse" && extensions!.messageResponse.value.extensionNumber, [51000]);
    assert.equal(unknown!.messageResponse.case, "errorResponse");
    assert.equal(unknown!.messageResponse.case === "errorResponse" && unknown!.messageResponse.value.errorCode, 5);
  });
}
