/**
 * The bad-token matrix: every way a token can be wrong (with the code, the
 * AuthError reason and the message each must be refused with), and the tricks
 * that must still be accepted. Shared by the tests of our services
 * (token-guard.test.ts) and of the grpc-js guard (grpc-js-guard.test.ts).
 */
import { Code } from "@connectrpc/connect";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { AuthFailureReason } from "../../gen/m2m/auth/v1/auth_pb.js";
import type { TestSystem } from "./system.js";
import { accessClaims, b64json, issuerKid, readAssistantCredentials, requestToken, signWithForeignKey, signWithIssuerKey } from "./tokens.js";

/** An authorization value; several values: several fields; undefined: none. */
export type Authorization = string | string[] | undefined;

export interface BadTokenCase {
  name: string;
  authorization: () => Promise<Authorization>;
  code: Code;
  reason: AuthFailureReason;
  message: RegExp;
}

export interface AcceptedTokenCase {
  name: string;
  authorization: () => Promise<string>;
}

/** The service under test, and what the cases need around it. */
export interface BadTokenTarget {
  system: () => TestSystem;
  name: "calendar" | "notes";
  audience: string;
  otherAudience: string;
  readScope: string;
  writeScope: string;
  /** A second, unrelated auth provider: its tokens are valid, just not ours. */
  otherIssuer: () => { url: string; dataDir: string };
  /** Where jku / x5u headers point; it must never be asked for anything. */
  lureUrl: () => string;
}

/** The cases for a read method of `target` (requiring `readScope`). */
export function badTokenCases(target: BadTokenTarget): { refused: BadTokenCase[]; accepted: AcceptedTokenCase[] } {
  const sign = (overrides = {}, header = {}) =>
    signWithIssuerKey(target.system().dataDir, accessClaims(target.system().issuer, target.audience, [target.readScope, target.writeScope], overrides), header);

  const claims = (overrides = {}) => accessClaims(target.system().issuer, target.audience, [target.readScope], overrides);
  const valid = () => target.system().token(target.audience, target.readScope);

  const cases: BadTokenCase[] = [
    { name: "no token", authorization: async () => undefined, code: Code.Unauthenticated, reason: AuthFailureReason.MISSING_TOKEN, message: /no access token/ },
    { name: "wrong scheme", authorization: async () => "Basic YXNzaXN0YW50OnNlY3JldA==", code: Code.Unauthenticated, reason: AuthFailureReason.MALFORMED_AUTHORIZATION, message: /scheme "Basic"/ },
    { name: "bearer without a token", authorization: async () => "Bearer", code: Code.Unauthenticated, reason: AuthFailureReason.MALFORMED_AUTHORIZATION, message: /exactly one "Bearer <token>"/ },
    { name: "garbage", authorization: async () => "Bearer garbage", code: Code.Unauthenticated, reason: AuthFailureReason.MALFORMED_TOKEN, message: /not a JWT/ },
    {
      name: "truncated signature",
      authorization: async () => `Bearer ${(await target.system().token(target.audience, target.readScope)).slice(0, -6)}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.INVALID_SIGNATURE,
      message: /signature does not verify/,
    },
    {
      name: "a real token with == padding after its signature (the same bytes)",
      authorization: async () => `Bearer ${await valid()}==`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.MALFORMED_TOKEN,
      message: /signature is not canonical base64url/,
    },
    {
      name: "a real token, its signature's last character with an unused bit set (same bytes)",
      authorization: async () => {
        const token = await valid();
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        return `Bearer ${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) | 1]}`;
      },
      code: Code.Unauthenticated,
      reason: AuthFailureReason.MALFORMED_TOKEN,
      message: /signature is not canonical base64url/,
    },
    {
      name: "alg none",
      authorization: async () => `Bearer ${b64json({ alg: "none", typ: "JWT" })}.${b64json(accessClaims(target.system().issuer, target.audience, [target.readScope]))}.`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNSUPPORTED_ALGORITHM,
      message: /algorithm "none" is not accepted/,
    },
    {
      name: "HS256 signed with the public key",
      authorization: async () => {
        const jwks = await (await fetch(`${target.system().auth.url}/auth/jwt/jwks.json`)).text();
        const token = await new SignJWT(accessClaims(target.system().issuer, target.audience, [target.readScope]))
          .setProtectedHeader({ alg: "HS256", kid: issuerKid(target.system().dataDir) })
          .sign(new TextEncoder().encode(jwks));
        return `Bearer ${token}`;
      },
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNSUPPORTED_ALGORITHM,
      message: /"HS256" is not accepted/,
    },
    {
      name: "unknown key with a known kid",
      authorization: async () =>
        `Bearer ${await signWithForeignKey(accessClaims(target.system().issuer, target.audience, [target.readScope]), { kid: issuerKid(target.system().dataDir) })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.INVALID_SIGNATURE,
      message: /signature does not verify/,
    },
    {
      name: "unknown kid",
      authorization: async () => `Bearer ${await signWithForeignKey(accessClaims(target.system().issuer, target.audience, [target.readScope]))}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNKNOWN_KEY,
      message: /no key of the auth provider matches/,
    },
    {
      name: "expired",
      authorization: async () => `Bearer ${await sign({ iat: 1_000_000, nbf: 1_000_000, exp: Math.floor(Date.now() / 1000) - 3600 })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.TOKEN_EXPIRED,
      message: /expired/,
    },
    {
      name: "not yet valid",
      authorization: async () => `Bearer ${await sign({ nbf: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.TOKEN_NOT_YET_VALID,
      message: /not valid yet/,
    },
    {
      name: "wrong issuer",
      authorization: async () => `Bearer ${await sign({ iss: "http://127.0.0.1:1/other" })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.WRONG_ISSUER,
      message: /not issued by/,
    },
    {
      name: "empty audience",
      authorization: async () => `Bearer ${await sign({ aud: [] })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.WRONG_AUDIENCE,
      message: /names no audience/,
    },
    {
      name: "another service's audience (a real token replayed)",
      authorization: async () => `Bearer ${await target.system().token(target.otherAudience, target.name === "calendar" ? "note.read" : "calendar.read")}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.WRONG_AUDIENCE,
      message: new RegExp(`is for "${target.otherAudience}", not for ${target.audience}`),
    },
    {
      name: "no scope claim",
      authorization: async () => `Bearer ${await sign({ scp: undefined })}`,
      code: Code.PermissionDenied,
      reason: AuthFailureReason.INSUFFICIENT_SCOPE,
      message: new RegExp(`lacks the scope ${target.readScope.replace(".", "\\.")} \\(it grants no scopes\\)`),
    },
    {
      name: "scp of the wrong type",
      authorization: async () => `Bearer ${await sign({ scp: target.readScope })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.INVALID_CLAIMS,
      message: /"scp" claim must be an array/,
    },
    {
      name: "an ID token (typ)",
      authorization: async () => `Bearer ${await sign({}, { typ: "id_token+jwt" })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.WRONG_TOKEN_TYPE,
      message: /not an access token/,
    },
    {
      name: "kid with path characters",
      authorization: async () => `Bearer ${await signWithForeignKey(claims(), { kid: "../../../etc/passwd" })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNKNOWN_KEY,
      message: /no key of the auth provider matches the token's key id "\.\.\/\.\.\/\.\.\/etc\/passwd"/,
    },
    {
      name: "kid with SQL characters",
      authorization: async () => `Bearer ${await signWithForeignKey(claims(), { kid: "' OR '1'='1'; --" })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNKNOWN_KEY,
      message: /no key of the auth provider matches/,
    },
    {
      name: "jku pointing elsewhere (never fetched)",
      authorization: async () => `Bearer ${await signWithForeignKey(claims(), { kid: "lure", jku: target.lureUrl() })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNKNOWN_KEY,
      message: /matches the token's key id "lure"/,
    },
    {
      name: "x5u pointing elsewhere (never fetched)",
      authorization: async () => `Bearer ${await signWithForeignKey(claims(), { kid: "lure", x5u: target.lureUrl() })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNKNOWN_KEY,
      message: /matches the token's key id "lure"/,
    },
    {
      name: "embedded jwk of the signer, with our kid",
      authorization: async () => {
        const { publicKey, privateKey } = await generateKeyPair("ES256");
        const jwk = await exportJWK(publicKey);
        return `Bearer ${await new SignJWT(claims()).setProtectedHeader({ alg: "ES256", kid: issuerKid(target.system().dataDir), jwk }).sign(privateKey)}`;
      },
      code: Code.Unauthenticated,
      reason: AuthFailureReason.INVALID_SIGNATURE,
      message: /signature does not verify/,
    },
    {
      name: "crit header",
      authorization: async () => `Bearer ${b64json({ alg: "ES256", kid: issuerKid(target.system().dataDir), crit: ["x-must"], "x-must": 1 })}.${b64json(claims())}.c2ln`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.MALFORMED_TOKEN,
      message: /critical extensions/,
    },
    {
      name: "RS256 token against our EC key's kid",
      authorization: async () => {
        const { privateKey } = await generateKeyPair("RS256");
        return `Bearer ${await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: issuerKid(target.system().dataDir) }).sign(privateKey)}`;
      },
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNKNOWN_KEY,
      message: /algorithm RS256/,
    },
    {
      name: "tab between scheme and token",
      authorization: async () => `Bearer\t${await valid()}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.MALFORMED_AUTHORIZATION,
      message: /exactly one "Bearer <token>"/,
    },
    {
      name: "two authorization values",
      authorization: async () => [`Bearer ${await valid()}`, `Bearer ${await valid()}`],
      code: Code.Unauthenticated,
      reason: AuthFailureReason.MALFORMED_AUTHORIZATION,
      message: /more than one authorization value: expected exactly one "Bearer <token>"/,
    },
    {
      name: "exp as a string",
      authorization: async () => `Bearer ${await sign({ exp: String(Math.floor(Date.now() / 1000) + 600) })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.INVALID_CLAIMS,
      message: /"exp" claim/,
    },
    {
      name: "a real token of another auth provider (its own valid key)",
      authorization: async () =>
        `Bearer ${await requestToken(target.otherIssuer().url, readAssistantCredentials(target.otherIssuer().dataDir), target.audience, target.readScope)}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.UNKNOWN_KEY,
      message: /no key of the auth provider matches/,
    },
    {
      name: "scope claim of the wrong type",
      authorization: async () => `Bearer ${await sign({ scp: undefined, scope: 42 })}`,
      code: Code.Unauthenticated,
      reason: AuthFailureReason.INVALID_CLAIMS,
      message: /"scope" claim/,
    },
  ];

  const accepted: AcceptedTokenCase[] = [
    { name: "scheme in lower case, two spaces", authorization: async () => `bearer  ${await valid()}` },
    { name: "scheme in upper case, trailing space", authorization: async () => `BEARER ${await valid()} ` },
    { name: "aud as a string", authorization: async () => `Bearer ${await sign({ aud: target.audience })}` },
    { name: "aud listing another service too", authorization: async () => `Bearer ${await sign({ aud: [target.otherAudience, target.audience] })}` },
    { name: "RFC 9068 scope string and typ at+jwt", authorization: async () => `Bearer ${await sign({ scp: undefined, scope: target.readScope }, { typ: "at+jwt" })}` },
  ];
  return { refused: cases, accepted };
}
