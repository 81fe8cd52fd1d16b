/**
 * @grpc/grpc-js with the generated code of @bufbuild/protobuf: method
 * definitions for a grpc-js server or client, and a grpc-js error decoded as
 * the ConnectError a connect client would see. Used by grpc-js-guard.test.ts
 * and unary-fast-path.test.ts.
 */
import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import type * as grpc from "@grpc/grpc-js";

/** grpc-js method definitions for a generated service, serialised with @bufbuild/protobuf. */
export function definitionOf(service: DescService): grpc.ServiceDefinition {
  const codec = <D extends DescMessage>(schema: D) => ({
    serialize: (value: MessageShape<D>) => Buffer.from(toBinary(schema, value)),
    deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
  });
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const input = codec(method.input);
    const output = codec(method.output);
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: input.serialize as (value: unknown) => Buffer,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize as (value: unknown) => Buffer,
      responseDeserialize: output.deserialize,
    };
  }
  return definition;
}

/** Decodes a grpc-js error with connect's own decoder of the gRPC trailers (grpc-status-details-bin included). */
export function connectErrorOf(err: grpc.ServiceError): ConnectError {
  const trailers = new Headers({ "grpc-status": String(err.code), "grpc-message": encodeURIComponent(err.details) });
  for (const [name, values] of Object.entries(err.metadata.getMap())) {
    trailers.set(name, Buffer.isBuffer(values) ? values.toString("base64") : String(values));
  }
  return findTrailerError(trailers) ?? new ConnectError("no error in the trailers", Code.Unknown);
}
