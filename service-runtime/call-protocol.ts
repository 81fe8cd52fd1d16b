/** Which of the three protocols on the port a call came by, for logs and metrics. */

/** The protocol of a call, from its request's content type. */
export type CallProtocol = "grpc" | "grpc-web" | "connect";

/** gRPC, gRPC-Web or Connect, from the request's content type (a Connect GET has none). */
export function protocolOf(contentType: string | null): CallProtocol {
  if (contentType === null) return "connect";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}
