/**
 * gRPC server reflection, `grpc.reflection.v1` and the older `v1alpha` (the
 * same wire format), so buf curl and grpcurl-style tools can list services
 * and call methods without the .proto files. Public: no token needed.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescriptorIndex } from "./descriptor-index.js";

export const reflectionServiceNames = [v1.ServerReflection.typeName, v1alpha.ServerReflection.typeName];

type Request = v1.ServerReflectionRequest;
type ResponseInit = Pick<Exclude<MessageInitShape<typeof v1.ServerReflectionResponseSchema>, v1.ServerReflectionResponse>, "messageResponse">;

/** The answer to one request, as the fields of a ServerReflectionResponse (both versions share them). */
export function answerReflectionRequest(index: DescriptorIndex, request: Request): ResponseInit {
  const files = (list: Uint8Array[] | undefined, what: string): ResponseInit["messageResponse"] =>
    list === undefined
      ? { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } }
      : { case: "fileDescriptorResponse", value: { fileDescriptorProto: list } };
  const r = request.messageRequest;
  switch (r.case) {
    case "listServices":
      return { messageResponse: { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } } };
    case "fileByFilename":
      return { messageResponse: files(index.fileByName(r.value), `file ${r.value}`) };
    case "fileContainingSymbol":
      return { messageResponse: files(index.fileContainingSymbol(r.value), `symbol ${r.value}`) };
    case "fileContainingExtension":
      return {
        messageResponse: files(index.fileContainingExtension(r.value.containingType, r.value.extensionNumber), `extension ${r.value.extensionNumber} of ${r.value.containingType}`),
      };
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(r.value);
      return numbers === undefined
        ? { messageResponse: { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `type ${r.value} not found` } } }
        : { messageResponse: { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: numbers } } };
    }
    default:
      return { messageResponse: { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "empty or unknown reflection request" } } };
  }
}

/** Registers both reflection services for the services in `index`. */
export function registerReflection(router: ConnectRouter, index: DescriptorIndex): void {
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(v1.ServerReflectionResponseSchema, { ...answerReflectionRequest(index, request), validHost: request.host, originalRequest: request });
      }
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        // Same fields and numbers as v1: answer as v1, then build the v1alpha message from the same shape.
        const answer = answerReflectionRequest(index, request as unknown as Request);
        yield create(v1alpha.ServerReflectionResponseSchema, { ...(answer as object), validHost: request.host, originalRequest: request });
      }
    },
  });
}
