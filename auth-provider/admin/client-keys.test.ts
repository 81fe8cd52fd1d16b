import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importPKCS8, SignJWT, jwtVerify, importJWK } from "jose";
import { CliError } from "../../common/cli-error.js";
import { createKeyPairFile, readPublicJwkFile } from "./client-keys.js";

const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-client-keys-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function usageError(message: RegExp) {
  return (err: unknown) => err instanceof CliError && err.kind === "usage" && message.test(err.message);
}

test("--key-out: an ES256 pair, the private key as PKCS#8 PEM with mode 0600, kid = RFC 7638 thumbprint", async () => {
  const file = join(dir, "client.pem");
  const pair = await createKeyPairFile(file);
  assert.equal(pair.keyFile, file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const pem = readFileSync(file, "utf8");
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.deepEqual(Object.keys(pair.publicJwk).sort(), ["alg", "crv", "kid", "kty", "use", "x", "y"]);
  assert.equal(pair.publicJwk.kid, await calculateJwkThumbprint(pair.publicJwk, "sha256"));
  // The written private key signs what the registered public key verifies.
  const jwt = await new SignJWT({}).setProtectedHeader({ alg: "ES256" }).sign(await importPKCS8(pem, "ES256"));
  await jwtVerify(jwt, await importJWK(pair.publicJwk, "ES256"));
  await assert.rejects(createKeyPairFile(file), usageError(/^--key-out ".*client\.pem": it exists already and is never overwritten/));
  assert.equal(readFileSync(file, "utf8"), pem);
  pair.discard();
  assert.throws(() => statSync(file));
});

test("--jwk: a public key is read with its kid, or the thumbprint; alg from the curve", async () => {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const file = join(dir, "public.json");
  writeFileSync(file, JSON.stringify({ ...publicJwk, x5c: ["ignored"] }));
  const read = await readPublicJwkFile(file);
  assert.deepEqual(read, { ...publicJwk, kid: await calculateJwkThumbprint(publicJwk, "sha256") });
  writeFileSync(file, JSON.stringify({ ...publicJwk, kid: "mine-1" }));
  assert.equal((await readPublicJwkFile(file)).kid, "mine-1");

  const cases: [unknown, RegExp][] = [
    [await exportJWK(privateKey), /the key must be a public key: it has the private member\(s\) d; .*or use --key-out/],
    [{ kty: "oct", k: "c2VjcmV0" }, /holds a symmetric key/],
    [{ keys: [publicJwk] }, /not a JWK .*not a key set/],
    [{ ...publicJwk, x: "AAAA" }, /cannot be used as a ES256 verification key/],
    [{ ...publicJwk, use: "enc" }, /must be a signing key/],
    [{ kty: "XYZ" }, /must have kty "EC", "RSA" or "OKP"/],
  ];
  for (const [content, message] of cases) {
    writeFileSync(file, JSON.stringify(content));
    await assert.rejects(readPublicJwkFile(file), usageError(message), JSON.stringify(content));
  }
  writeFileSync(file, "not json");
  await assert.rejects(readPublicJwkFile(file), usageError(/^--jwk ".*public\.json": not JSON/));
  await assert.rejects(readPublicJwkFile(join(dir, "missing.json")), usageError(/cannot read it \(ENOENT\)/));
});
