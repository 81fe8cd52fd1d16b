/**
 * How strong a client secret supplied from outside must be (a restored
 * clients.json entry, a secret handed to the client store): at least 128
 * bits, estimated, as RFC 6749 §10.10 asks of credentials an attacker may
 * guess offline or online. Generated secrets (32 random bytes) pass with room
 * to spare.
 *
 * The estimate is its length times log2 of the alphabet it is written in.
 * Secrets are usually an encoding of random bytes: a string of hex digits
 * counts 4 bits a character, a string within the base64 or base64url alphabet
 * 6 bits, whatever characters of the alphabet happen to appear (so 32 hex
 * digits or 22 base64url characters, 16 random bytes, always pass). Anything
 * else counts the character classes it uses (lower case 26, upper case 26,
 * digits 10, other printable ASCII 33, anything else 128). A 16-character
 * password does not pass. A secret of fewer than 8 different characters is
 * refused too: no alphabet estimate holds for "aaaa…" or "abab…" (random
 * secrets never come close: 32 random hex digits hold about 14).
 */

/** The least estimated entropy of a supplied secret, in bits. */
export const minSecretBits = 128;

/** The fewest different characters a secret may use. */
const minDistinctCharacters = 8;

/** The most characters a secret may have (a bound on what a request may make the store hash). */
export const maxSecretLength = 1024;

const classes: readonly { test: RegExp; size: number }[] = [
  { test: /[a-z]/, size: 26 },
  { test: /[A-Z]/, size: 26 },
  { test: /[0-9]/, size: 10 },
  { test: /[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e ]/, size: 33 },
  { test: /[^\x20-\x7e]/, size: 128 },
];

/** The estimated entropy of `secret` in bits (see the file comment); 0 for an empty string. */
export function estimatedSecretBits(secret: string): number {
  const characters = [...secret];
  if (characters.length === 0) return 0;
  if (/^[0-9a-fA-F]+$/.test(secret)) return characters.length * 4;
  if (/^[A-Za-z0-9_-]+$/.test(secret) || /^[A-Za-z0-9+/]+=*$/.test(secret)) return secret.replace(/=+$/, "").length * 6;
  const alphabet = classes.reduce((sum, c) => (c.test.test(secret) ? sum + c.size : sum), 0);
  return characters.length * Math.log2(alphabet);
}

/** Why `secret` is not acceptable as a supplied client secret, or undefined when it is. */
export function weakSecretReason(secret: string): string | undefined {
  if (typeof secret !== "string" || secret.length === 0) return "a client secret must be a non-empty string";
  if (secret.length > maxSecretLength) return `a client secret must be at most ${maxSecretLength} characters`;
  if (new Set(secret).size < minDistinctCharacters) return `a client secret must use at least ${minDistinctCharacters} different characters`;
  const bits = estimatedSecretBits(secret);
  if (bits < minSecretBits) {
    return `a client secret must carry at least ${minSecretBits} bits of entropy (this one about ${Math.floor(bits)}): use 32 random bytes, e.g. base64url, or let the auth provider generate it`;
  }
  return undefined;
}
