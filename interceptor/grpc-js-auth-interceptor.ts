/**
 * The grpc-js adapter of the token guard: a grpc-js server interceptor (grpc-js
 * 1.10 and later) that checks the `authorization` request metadata against the
 * method's `(m2m.auth.v1.access)` rule before the handler sees the call, with
 * the same verifier, reasons, AuthError detail and `www-authenticate` trailer
 * as the Connect adapter. grpc-js is not a dependency of this package: the
 * caller passes its own grpc-js module in, and this file imports only its types.
 *
 * Handlers read the verified caller with `principalOf(call)`: the principal is
 * kept in a WeakMap keyed by the request Metadata object the handler's call
 * holds, so no client can send one in.
 *
 * Sender-constrained tokens: DPoP proofs are checked against
 * `<scheme>://<:authority><path>` (scheme `https` when the connection is TLS,
 * else `http`) and POST; certificate-bound tokens against the TLS client
 * certificate grpc-js reports in the call's auth context.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type * as grpc from "@grpc/grpc-js";
import { createHash } from "node:crypto";
import { AccessTokenError } from "./access-token-error.js";
import { grantsScopes, guardCall } from "./access-guard.js";
import { accessRequirementOf, type AccessRequirement } from "./access-rule.js";
import { connectErrorFromAccessFailure } from "./connect-error-from-access-failure.js";
import type { Principal } from "./principal.js";
import type { SenderEvidence } from "./sender-constraint.js";
import type { AccessTokenVerifier } from "./verify-access-token.js";

/** What the interceptor needs of the grpc-js module: pass `import * as grpc from "@grpc/grpc-js"`. */
export type GrpcJsModule = Pick<typeof grpc, "ServerInterceptingCall" | "Metadata" | "status">;

export interface GrpcJsAuthInterceptorOptions {
  /** The server's own grpc-js module. */
  grpc: GrpcJsModule;
  verify: AccessTokenVerifier;
  /** This service's audience, named in error details and challenges. */
  audience: string;
  /** The generated descriptors of the services this server serves (e.g. `NoteService` from `*_pb.js`): their access rules apply. */
  services: readonly DescService[];
  /** Fully qualified names of services every caller may use without a token. */
  publicServices?: Iterable<string>;
  /** Base URLs clients call this service by, when they differ from what requests arrive with (see the Connect adapter). */
  publicUrls?: readonly string[];
  /** Called with every refused call (for logs); the error never holds the token. */
  onRefused?: (err: AccessTokenError, method: string) => void;
}

/** What `sendStatus` takes (grpc-js does not export its name). */
type RefusalStatus = Parameters<grpc.ServerInterceptingCallInterface["sendStatus"]>[0];

const principals = new WeakMap<grpc.Metadata, Principal>();

/** The verified caller of a handler's call; undefined for a public method (or if the interceptor is not installed). */
export function principalOf(call: { readonly metadata: grpc.Metadata }): Principal | undefined {
  return principals.get(call.metadata);
}

/** Creates the interceptor; give it to `new grpc.Server({ interceptors: [...] })`. A method not in `services` is refused (deny by default). */
export function createGrpcJsAuthInterceptor(options: GrpcJsAuthInterceptorOptions): grpc.ServerInterceptor {
  const { grpc: grpcJs, verify } = options;
  const publicServices = new Set(options.publicServices ?? []);
  const publicUrls = (options.publicUrls ?? []).map((url) => url.replace(/\/+$/, ""));
  const methods = new Map<string, DescMethod>();
  for (const service of options.services) for (const method of service.methods) methods.set(`/${service.typeName}/${method.name}`, method);

  return (descriptor, call) => {
    const path = descriptor.path;
    const requirement = requirementOf(path);
    return new grpcJs.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, passOn) {
            if (requirement.kind === "public") return passOn(metadata);
            // Several values are joined as HTTP joins repeated fields: the verifier refuses them as "more than one".
            const values = metadata.get("authorization");
            const authorization = values.length === 0 ? null : values.map(String).join(", ");
            if (requirement.kind === "scopes" && authorization !== null) {
              const known = verify.fromCache(authorization);
              if (known !== undefined && grantsScopes(known, requirement.requiredScopes)) {
                principals.set(metadata, known);
                return passOn(metadata);
              }
            }
            guardCall(verify, authorization, requirement, senderEvidenceOf(metadata, path, call)).then(
              (principal) => {
                if (principal !== undefined) principals.set(metadata, principal);
                passOn(metadata);
              },
              (err: unknown) => call.sendStatus(statusOf(err, path)),
            );
          },
        });
      },
    });
  };

  function requirementOf(path: string): AccessRequirement {
    const method = methods.get(path);
    if (method !== undefined) return accessRequirementOf(method, publicServices);
    const serviceName = path.split("/")[1] ?? "";
    return publicServices.has(serviceName) ? { kind: "public" } : { kind: "undeclared" };
  }

  function senderEvidenceOf(metadata: grpc.Metadata, path: string, call: grpc.ServerInterceptingCallInterface): SenderEvidence {
    const auth = call.getAuthContext();
    const scheme = auth.transportSecurityType === "ssl" ? "https" : "http";
    const dpop = metadata.get("dpop").map(String);
    return {
      httpMethod: "POST",
      url: `${scheme}://${call.getHost()}${path}`,
      alternateUrls: publicUrls.map((base) => `${base}${path}`),
      dpopHeader: dpop.length === 0 ? null : dpop.join(", "),
      peerCertificateThumbprint: () => {
        const raw = auth.sslPeerCertificate?.raw;
        return raw === undefined || raw.length === 0 ? undefined : createHash("sha256").update(raw).digest("base64url");
      },
    };
  }

  /** The status a refused call ends with: code, message, `www-authenticate` and `grpc-status-details-bin` trailers. */
  function statusOf(err: unknown, path: string): RefusalStatus {
    if (!(err instanceof AccessTokenError)) {
      return { code: grpcJs.status.INTERNAL, details: "the token guard failed", metadata: new grpcJs.Metadata() };
    }
    options.onRefused?.(err, path.slice(1));
    const connectError = connectErrorFromAccessFailure(err, options.audience);
    return { code: connectError.code as number as grpc.status, details: connectError.rawMessage, metadata: trailersOf(connectError) };
  }

  function trailersOf(connectError: ConnectError): grpc.Metadata {
    const trailers = new grpcJs.Metadata();
    connectError.metadata.forEach((value, name) => trailers.set(name, value));
    // Connect's own gRPC encoding of the status and its details (google.rpc.Status), as our services send it.
    const details = setTrailerStatus(new Headers(), connectError).get("grpc-status-details-bin");
    if (details !== null) trailers.set("grpc-status-details-bin", Buffer.from(details, "base64"));
    return trailers;
  }
}
