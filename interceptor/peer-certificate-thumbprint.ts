/**
 * The client certificate of the call's TLS connection, as its RFC 8705 §3.1
 * thumbprint (base64url SHA-256 of the DER), for certificate-bound tokens.
 * Handlers and interceptors see only Connect's request, so the adapter's
 * `contextValues` hook puts a lookup under `kPeerCertificateThumbprint`; it
 * reads the socket only when called (a few microseconds), which only a call
 * with a certificate-bound token does. The same over HTTP/1.1 and HTTP/2: an
 * HTTP/2 request's socket forwards to the session's TLS socket.
 *
 * No CA decides anything here: the handshake proved that the client holds the
 * certificate's private key, and the token names the certificate.
 */
import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";
import { createHash, type X509Certificate } from "node:crypto";

/** Looks up the connection's client certificate thumbprint; undefined without TLS or without a client certificate. */
export type PeerCertificateThumbprint = () => string | undefined;

/** The lookup of the current call; without the hook (in-memory tests, cleartext) it finds no certificate. */
export const kPeerCertificateThumbprint = createContextKey<PeerCertificateThumbprint>(() => undefined, {
  description: "thumbprint of the TLS client certificate",
});

/** What the lookup needs of a request: Node's http.IncomingMessage and http2.Http2ServerRequest both have a socket. */
export interface RequestWithSocket {
  readonly socket: unknown;
}

/** The base64url SHA-256 of the DER certificate the request's TLS peer presented; undefined when none (or no TLS, or gone). */
export function peerCertificateThumbprintOf(req: RequestWithSocket): string | undefined {
  let certificate: X509Certificate | undefined;
  try {
    // An HTTP/2 request's socket is a proxy that throws once its session is destroyed.
    const socket = req.socket as { getPeerX509Certificate?: () => X509Certificate | undefined } | null;
    if (typeof socket?.getPeerX509Certificate !== "function") return undefined;
    certificate = socket.getPeerX509Certificate();
  } catch {
    return undefined;
  }
  return certificate === undefined ? undefined : createHash("sha256").update(certificate.raw).digest("base64url");
}

/** For the Node adapter's `contextValues` option: sets the lookup for `req`, in `values` when given. Returns the values. */
export function withPeerCertificateThumbprint(req: RequestWithSocket, values: ContextValues = createContextValues()): ContextValues {
  return values.set(kPeerCertificateThumbprint, () => peerCertificateThumbprintOf(req));
}
