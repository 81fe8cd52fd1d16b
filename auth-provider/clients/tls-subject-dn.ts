/**
 * Subject distinguished names for tls_client_auth (RFC 8705 §2.1.2): the DN
 * registered for a client, and the one its certificate carries, in one
 * canonical form so that they compare exactly.
 *
 * The canonical form is RFC 4514 text written in the order of the
 * certificate's subject (the order `openssl x509 -noout -subject` and Node's
 * X509Certificate#subject print, not RFC 4514's reversed order): RDNs joined
 * by ",", the attributes of a multi-valued RDN by "+", each `TYPE=value` with
 * the type as OpenSSL names it (CN, O, OU, C, L, ST, emailAddress, or a
 * dotted OID) and the value escaped as RFC 4514 §2.4 says. For example a
 * certificate made with `-subj "/O=Example/CN=reporting"` has the subject
 * "O=Example,CN=reporting".
 *
 * Two DNs match when they have the same RDNs in the same order, each with the
 * same attributes (in any order within the RDN): types compared without
 * regard to case, values exactly (no case folding, no space folding).
 */
import type { X509Certificate } from "node:crypto";

/** One attribute of an RDN: its type and its value, unescaped. */
export interface DnAttribute {
  readonly type: string;
  readonly value: string;
}

/** A DN as RDNs in certificate order; each RDN one or more attributes. */
export type DistinguishedName = readonly (readonly DnAttribute[])[];

/** The longest DN accepted for registration, in characters. */
export const maxSubjectDnLength = 1024;

const typePattern = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;

/**
 * Parses RFC 4514 text ("CN=reporting,O=Example"; spaces around "," "+" and "=" are ignored).
 * @throws TypeError saying what is wrong: empty, too long, an attribute without "=", a bad type, an empty value, a
 *   value in hex (#...) form, or a bad escape.
 */
export function parseDistinguishedName(text: string): DistinguishedName {
  if (typeof text !== "string" || text.trim() === "") throw new TypeError("the subject DN is empty; give it as TYPE=value,TYPE=value, e.g. CN=reporting,O=Example");
  if (text.length > maxSubjectDnLength) throw new TypeError(`the subject DN is longer than ${maxSubjectDnLength} characters`);
  return splitUnescaped(text, ",").map((rdn) =>
    splitUnescaped(rdn, "+").map((attribute) => {
      const equals = indexOfUnescaped(attribute, "=");
      if (equals < 0) throw new TypeError(`the subject DN part ${JSON.stringify(attribute.trim())} is not TYPE=value`);
      const type = attribute.slice(0, equals).trim();
      if (!typePattern.test(type)) throw new TypeError(`the subject DN has an attribute type ${JSON.stringify(type)} that is neither a name (CN, O, OU, ...) nor a dotted OID`);
      const raw = trimUnescapedSpaces(attribute.slice(equals + 1));
      if (raw === "") throw new TypeError(`the subject DN attribute ${type} has no value`);
      if (raw.startsWith("#")) throw new TypeError(`the subject DN attribute ${type} is given in hex (#...); give its value as text`);
      return { type, value: unescapeValue(raw) };
    }),
  );
}

/** RFC 4514 text of a DN, in the order given (see the canonical form above). */
export function formatDistinguishedName(dn: DistinguishedName): string {
  return dn.map((rdn) => rdn.map((a) => `${a.type}=${escapeValue(a.value)}`).join("+")).join(",");
}

/**
 * The canonical form of a DN typed by an operator: parsed and written again.
 * @throws TypeError as {@link parseDistinguishedName}.
 */
export function canonicalSubjectDn(text: string): string {
  return formatDistinguishedName(parseDistinguishedName(text));
}

/**
 * A certificate's subject, parsed from Node's X509Certificate#subject (one RDN per line, in certificate order;
 * " + " between the attributes of a multi-valued RDN; values escaped as RFC 2253 says).
 */
export function certificateSubject(certificate: X509Certificate): DistinguishedName {
  return certificate.subject
    .split("\n")
    .filter((line) => line !== "")
    .map((line) =>
      splitUnescaped(line, "+").map((attribute) => {
        const equals = indexOfUnescaped(attribute, "=");
        return { type: attribute.slice(0, Math.max(equals, 0)).trim(), value: unescapeValue(trimUnescapedSpaces(attribute.slice(equals + 1))) };
      }),
    );
}

/** Whether two DNs are the same (same RDNs in the same order; types without regard to case, values exactly). */
export function sameDistinguishedName(a: DistinguishedName, b: DistinguishedName): boolean {
  if (a.length !== b.length) return false;
  return a.every((rdn, i) => {
    const other = b[i]!;
    if (rdn.length !== other.length) return false;
    const key = (x: DnAttribute) => `${x.type.toUpperCase()}=${x.value}`;
    const left = rdn.map(key).sort();
    const right = other.map(key).sort();
    return left.every((item, j) => item === right[j]);
  });
}

// RFC 4514 §2.4: escape the specials anywhere, a leading "#" or space, a trailing space, and control characters.
function escapeValue(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const code = c.charCodeAt(0);
    if (',+"\\<>;='.includes(c) || (i === 0 && (c === "#" || c === " ")) || (i === value.length - 1 && c === " ")) out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += c;
  }
  return out;
}

// "\," and the like give the character; "\XX" hex pairs give bytes, read together as UTF-8.
function unescapeValue(raw: string): string {
  const bytes: number[] = [];
  const flush = (into: string[]) => {
    if (bytes.length === 0) return;
    const decoded = new TextDecoder("utf-8", { fatal: true });
    try {
      into.push(decoded.decode(Uint8Array.from(bytes)));
    } catch {
      throw new TypeError("the subject DN has \\XX escapes that are not UTF-8");
    }
    bytes.length = 0;
  };
  const parts: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== "\\") {
      flush(parts);
      parts.push(c);
      continue;
    }
    const next = raw.slice(i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(next)) {
      bytes.push(parseInt(next, 16));
      i += 2;
    } else if (next.length > 0) {
      flush(parts);
      parts.push(next[0]!);
      i += 1;
    } else throw new TypeError("the subject DN ends with a lone backslash");
  }
  flush(parts);
  return parts.join("");
}

// Splits at separators not preceded by an escaping backslash.
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function indexOfUnescaped(text: string, char: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === char) return i;
  }
  return -1;
}

// Leading spaces, and trailing ones unless the last is escaped ("a\ " keeps its space).
function trimUnescapedSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === " ") {
    let backslashes = 0;
    for (let i = end - 2; i >= 0 && text[i] === "\\"; i--) backslashes++;
    if (backslashes % 2 === 1) break;
    end--;
  }
  return text.slice(0, end).replace(/^ +/, "");
}
