/**
 * Public keys for private_key_jwt (RFC 7523): a new ES256 key pair whose
 * private half is written for the client (`--key-out`), or a public JWK the
 * operator brings (`--jwk`). Only public keys are ever registered; the `kid`
 * is the RFC 7638 thumbprint unless the JWK brings its own.
 */
import { resolve } from "node:path";
import { readFileSync, rmSync } from "node:fs";
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, type JWK } from "jose";
import { CliError } from "../../common/cli-error.js";
import { checkPublicJwk } from "../clients/public-jwk.js";
import { writeNewPrivateFile } from "../../common/private-files.js";

/** A key pair whose private key is on disk: register `publicJwk`, or `discard()` the file when that fails. */
export interface WrittenKeyPair {
  readonly publicJwk: JWK;
  /** Absolute path of the PKCS#8 PEM file (mode 0600). */
  readonly keyFile: string;
  /** Deletes the private key file (the registration it was made for failed). */
  discard(): void;
}

/**
 * Creates an ES256 key pair and writes the private key to file as PKCS#8 PEM with mode 0600.
 * @throws CliError usage when the file exists (never overwritten) or cannot be created.
 */
export async function createKeyPairFile(file: string): Promise<WrittenKeyPair> {
  const keyFile = resolve(file);
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const exported = await exportJWK(publicKey);
  const publicJwk: JWK = { ...exported, kid: await calculateJwkThumbprint(exported, "sha256"), alg: "ES256", use: "sig" };
  try {
    writeNewPrivateFile(keyFile, `${(await exportPKCS8(privateKey)).trimEnd()}\n`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EEXIST" ? "it exists already and is never overwritten; choose another path" : `cannot create it (${code ?? String(err)})`;
    throw new CliError("usage", `--key-out ${JSON.stringify(file)}: ${why}`, { cause: err });
  }
  return { publicJwk, keyFile, discard: () => rmSync(keyFile, { force: true }) };
}

// What is registered of a key read from a file: the public members of its type and the few that say how it is used;
// anything else in the file (x5c, comments) is left out.
const keptMembers = ["kty", "crv", "x", "y", "n", "e", "kid", "alg", "use"] as const;

/**
 * Reads a public JWK (EC, OKP or RSA; see clients/public-jwk.ts for the rules) from file for registration: its
 * public members, and `kid` (given, else the RFC 7638 thumbprint).
 * @throws CliError usage for a missing or unreadable file, not a JWK, a private or symmetric key, or an invalid key.
 */
export async function readPublicJwkFile(file: string): Promise<JWK> {
  const fail = (why: string, cause?: unknown): never => {
    throw new CliError("usage", `--jwk ${JSON.stringify(file)}: ${why}`, { cause });
  };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    return fail(`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  if (text.length > 65_536) return fail("larger than 64 KiB; give one public JWK");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail("not JSON; give one public JWK", err);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !("kty" in parsed)) {
    return fail('not a JWK (a JSON object with "kty"); give one public key, not a key set');
  }
  if ((parsed as JWK).kty === "oct") return fail("holds a symmetric key (a shared secret); register a public EC, OKP or RSA key, or use --key-out to make a key pair");
  try {
    const checked = await checkPublicJwk(parsed, "the key");
    return Object.fromEntries(keptMembers.filter((m) => checked[m] !== undefined).map((m) => [m, checked[m]])) as JWK;
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const privateKey = "d" in parsed ? "; or use --key-out to make a key pair" : "";
    return fail(`${err.message}${privateKey}`, err);
  }
}
