/**
 * The assistant's DPoP key pair (RFC 9449): ES256, kept beside the token
 * cache as a private JWK in a file only the user can read (mode 0600), made on
 * first use and reused by later runs, so that cached DPoP-bound tokens stay
 * usable. Two runs that make the key at once end up with the same one (the
 * file is created, never replaced). When the directory cannot be written the
 * key lives for this run only; its tokens are cached under its thumbprint
 * and so are never tried with another key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { dirname } from "node:path";
import { CliError } from "../common/cli-error.js";
import { ensurePrivateDir, readTextIfExists, writeNewPrivateFile } from "../common/private-files.js";

/** A P-256 public JWK: what a proof's `jwk` header carries. */
export interface EcPublicJwk {
  readonly kty: "EC";
  readonly crv: "P-256";
  readonly x: string;
  readonly y: string;
}

export interface DpopKey {
  readonly alg: "ES256";
  readonly privateKey: KeyObject;
  readonly publicJwk: EcPublicJwk;
  /** The RFC 7638 SHA-256 thumbprint of publicJwk (base64url): what `cnf.jkt` of a token bound to it names. */
  readonly thumbprint: string;
}

export interface DpopKeyStore {
  /** The key in the file, or undefined when there is none yet (reading never creates it). */
  existing(): DpopKey | undefined;
  /** The key in the file, made and saved first when there is none. */
  getOrCreate(): DpopKey;
}

/**
 * The key kept in `file`, read at most once per process.
 * @throws CliError "usage" when the file exists but cannot be read or holds no P-256 private JWK, saying how to fix it.
 */
export function createDpopKeyStore(file: string): DpopKeyStore {
  let key: DpopKey | undefined;
  const read = (): DpopKey | undefined => {
    let text: string | undefined;
    try {
      text = readTextIfExists(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined; // no directory there: no key either
      throw new CliError("usage", `cannot read the DPoP key ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}): fix its permissions, or pass --no-dpop`, { cause: err });
    }
    return text === undefined ? undefined : parseDpopKey(text, file);
  };
  return {
    existing() {
      return (key ??= read());
    },
    getOrCreate() {
      key ??= read();
      if (key !== undefined) return key;
      const made = generateDpopKey();
      try {
        ensurePrivateDir(dirname(file));
        writeNewPrivateFile(file, `${JSON.stringify({ ...made.privateKey.export({ format: "jwk" }), alg: made.alg })}\n`);
      } catch (err) {
        // Another run made it first: use theirs, so both runs' tokens stay usable.
        if ((err as NodeJS.ErrnoException).code === "EEXIST") return (key = read() ?? made);
        // Unwritable: a key for this run only.
      }
      return (key = made);
    },
  };
}

/** A new ES256 key pair. */
export function generateDpopKey(): DpopKey {
  return dpopKeyOf(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
}

/** RFC 7638 §3.2: the SHA-256 of the required members, in lexicographic order, without white space. */
export function jwkThumbprint(jwk: EcPublicJwk): string {
  return createHash("sha256").update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest("base64url");
}

function parseDpopKey(text: string, file: string): DpopKey {
  const fix = `delete it and a new key is made on the next run (tokens bound to the old one are fetched again), or pass --no-dpop`;
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(text) as JsonWebKey;
  } catch {
    throw new CliError("usage", `the DPoP key ${file} is not JSON: ${fix}`);
  }
  if (jwk?.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string") {
    throw new CliError("usage", `the DPoP key ${file} is not a P-256 private JWK: ${fix}`);
  }
  try {
    return dpopKeyOf(createPrivateKey({ key: jwk, format: "jwk" }));
  } catch (err) {
    throw new CliError("usage", `the DPoP key ${file} is not a usable P-256 private key: ${fix}`, { cause: err });
  }
}

// The public half is derived from the private key, never taken from the file.
function dpopKeyOf(privateKey: KeyObject): DpopKey {
  const { x, y } = createPublicKey(privateKey).export({ format: "jwk" });
  const publicJwk: EcPublicJwk = { kty: "EC", crv: "P-256", x: x!, y: y! };
  return { alg: "ES256", privateKey, publicJwk, thumbprint: jwkThumbprint(publicJwk) };
}
