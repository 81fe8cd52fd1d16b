/**
 * The client certificate a caller presented on its TLS connection to the auth
 * provider (requested when AUTH_CLIENT_CA_FILE is set): whether it chains to
 * that CA, its subject DN, and its RFC 8705 §3.1 thumbprint (`x5t#S256`, the
 * base64url SHA-256 of its DER), which a certificate-bound token names.
 *
 * Only the certificate of the TLS connection itself counts: nothing is read
 * from headers, so tls_client_auth needs TLS from the client to the auth
 * provider (a TLS-terminating proxy in front would hide the certificate).
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { certificateSubject, type DistinguishedName } from "./tls-subject-dn.js";

/** A client certificate as the auth provider sees it. */
export interface PresentedCertificate {
  /** Whether it chains to a CA of AUTH_CLIENT_CA_FILE and is valid now (the TLS handshake's verdict). */
  readonly trusted: boolean;
  /** Why it is not trusted (OpenSSL's code, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE); undefined when it is. */
  readonly untrustedReason: string | undefined;
  /** Its subject, or undefined when Node could not read it (then it matches no registered DN). */
  readonly subject: DistinguishedName | undefined;
  /** x5t#S256: base64url SHA-256 of the certificate's DER. */
  readonly thumbprint: string;
}

/** The certificate presented on socket, or undefined for a connection without TLS or without a client certificate. */
export function presentedCertificate(socket: Socket): PresentedCertificate | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return undefined;
  let subject: DistinguishedName | undefined;
  try {
    subject = certificateSubject(certificate);
  } catch {
    subject = undefined;
  }
  const error = socket.authorizationError as unknown;
  return {
    trusted: socket.authorized,
    untrustedReason: socket.authorized ? undefined : typeof error === "string" ? error : String((error as Error | undefined)?.message ?? "unknown"),
    subject,
    thumbprint: certificateThumbprint(certificate.raw),
  };
}

/** x5t#S256 of a certificate's DER (RFC 8705 §3.1). */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("base64url");
}
