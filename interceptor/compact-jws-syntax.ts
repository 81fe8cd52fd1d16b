/**
 * The shape of a compact JWS, checked before anything reads it: three parts,
 * each canonical base64url (RFC 7515 §2: base64url without `=` padding). The
 * decoders underneath (Node's Buffer, and so jose) also take padding, other
 * characters and a last character whose unused bits are set, so one signature
 * has many spellings that all verify, and each spelling would take its own
 * entry in the verified-token cache. Only the one canonical spelling is
 * accepted.
 */
import { AccessTokenError } from "./access-token-error.js";

const alphabet = /^[A-Za-z0-9_-]*$/;
const partNames = ["header", "payload", "signature"] as const;

/**
 * Whether `text` is the canonical base64url encoding of some bytes: only
 * `A-Z a-z 0-9 - _`, no padding, not a length that no byte string encodes to
 * (4n + 1), and zero in the unused low bits of the last character. The empty
 * string is canonical (no bytes).
 */
export function isCanonicalBase64url(text: string): boolean {
  if (!alphabet.test(text)) return false;
  const tail = text.length % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  // Two trailing characters carry 12 bits for one byte, three carry 18 for two: 4 or 2 bits unused.
  const unusedBits = tail === 2 ? 0b1111 : 0b11;
  return (sextet(text.charCodeAt(text.length - 1)) & unusedBits) === 0;
}

/** The 6-bit value of a base64url character (the alphabet is checked before). */
function sextet(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  return code === 45 ? 62 : 63; // - _
}

/**
 * Fails with `malformed_token` unless `token` is a compact JWS of three
 * canonical base64url parts; an encrypted token (five parts) is named as such.
 * The message names the part, never its content.
 */
export function checkCompactJwsSyntax(token: string): void {
  const parts = token.split(".");
  if (parts.length === 5) throw new AccessTokenError("malformed_token", "encrypted tokens (JWE) are not accepted");
  if (parts.length !== 3) throw new AccessTokenError("malformed_token", "the access token is not a JWT (expected three dot-separated parts)");
  parts.forEach((part, i) => {
    if (!isCanonicalBase64url(part)) {
      throw new AccessTokenError(
        "malformed_token",
        `the access token's ${partNames[i]} is not canonical base64url (only A-Z a-z 0-9 - _, no "=" padding, unused bits zero)`,
      );
    }
  });
}
