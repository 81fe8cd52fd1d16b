/**
 * The verification core, table-driven, with a frozen clock: the token shapes
 * of both backends (the embedded issuer's ES256 and SuperTokens' RS256 `s-`
 * keys with `stt`), RFC 9068 tokens, and clock-tolerance edges.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSigningKey, signRawEs256, signToken, startJwksServer, type JwksServer, type TestSigningKey } from "../test/support/jwks-server.js";
import { AccessTokenError, type AccessTokenFailureReason } from "./access-token-error.js";
import { authorizeScopes } from "./access-guard.js";
import { createJwksKeySource } from "./jwks-key-source.js";
import { createAccessTokenVerifier, type AccessTokenVerifier } from "./verify-access-token.js";

const issuer = "http://localhost:3001/auth";
const now = 1_900_000_000; // frozen clock, seconds
let jwks: JwksServer;
let es256: TestSigningKey;
let rs256: TestSigningKey;
let verify: AccessTokenVerifier;

before(async () => {
  es256 = await createSigningKey("embedded-1", "ES256");
  rs256 = await createSigningKey("s-0d2c6f", "RS256");
  jwks = await startJwksServer([es256.publicJwk, rs256.publicJwk]);
  verify = createAccessTokenVerifier({
    issuer,
    audience: "calendar-service",
    keys: createJwksKeySource({ url: jwks.url }),
    currentDate: () => new Date(now * 1000),
  });
});
after(() => jwks.close());

const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: issuer,
  sub: "assistant",
  client_id: "assistant",
  aud: ["calendar-service"],
  scp: ["calendar.read"],
  iat: now,
  nbf: now,
  exp: now + 3600,
  jti: "t-1",
  ...overrides,
});

async function reasonOf(authorization: string): Promise<AccessTokenFailureReason | "ok"> {
  try {
    await verify(authorization);
    return "ok";
  } catch (err) {
    assert.ok(err instanceof AccessTokenError, `a typed error, got ${String(err)}`);
    return err.reason;
  }
}

describe("accepted token shapes", () => {
  test("the embedded issuer's token gives a principal", async () => {
    const principal = await verify(`Bearer ${await signToken(es256, claims())}`);
    assert.deepEqual(principal, {
      clientId: "assistant",
      subject: "assistant",
      scopes: ["calendar.read"],
      tokenId: "t-1",
      expiresAt: new Date((now + 3600) * 1000),
      issuedAt: new Date(now * 1000),
    });
  });

  test("SuperTokens' shape: RS256, kid s-…, stt 1, gid, scp array, several audiences", async () => {
    const token = await signToken(rs256, claims({ stt: 1, gid: "g-1", aud: ["note-service", "calendar-service"], scp: ["calendar.read", "calendar.write"] }));
    const principal = await verify(`Bearer ${token}`);
    assert.deepEqual(principal.scopes, ["calendar.read", "calendar.write"]);
  });

  test("RFC 9068: typ at+jwt, aud a string, scope a space-delimited string", async () => {
    const token = await signToken(es256, claims({ aud: "calendar-service", scp: undefined, scope: "calendar.read  calendar.write" }), { typ: "at+jwt" });
    assert.deepEqual((await verify(`Bearer ${token}`)).scopes, ["calendar.read", "calendar.write"]);
  });

  test("scheme case and extra spaces are tolerated", async () => {
    assert.equal(await reasonOf(`bearer   ${await signToken(es256, claims())}`), "ok");
  });
});

describe("clock tolerance of 30 s", () => {
  const cases: [string, Record<string, unknown>, AccessTokenFailureReason | "ok"][] = [
    ["expired 20 s ago", { exp: now - 20 }, "ok"],
    ["expired 40 s ago", { exp: now - 40 }, "token_expired"],
    ["nbf 20 s ahead", { nbf: now + 20, iat: now + 20 }, "ok"],
    ["nbf 40 s ahead", { nbf: now + 40, iat: now + 40 }, "token_not_yet_valid"],
  ];
  for (const [name, overrides, expected] of cases) {
    test(`${name}: ${expected}`, async () => {
      assert.equal(await reasonOf(`Bearer ${await signToken(es256, claims(overrides))}`), expected);
    });
  }
});

describe("refused tokens", () => {
  const cases: [string, () => Promise<string>, AccessTokenFailureReason][] = [
    ["stt other than 1 (a session token)", async () => signToken(rs256, claims({ stt: 0 })), "wrong_token_type"],
    ["empty aud", async () => signToken(es256, claims({ aud: [] })), "wrong_audience"],
    ["no aud", async () => signToken(es256, claims({ aud: undefined })), "wrong_audience"],
    ["exp missing", async () => signToken(es256, claims({ exp: undefined })), "invalid_claims"],
    ["exp as a string", async () => signToken(es256, claims({ exp: String(now + 60) })), "invalid_claims"],
    ["neither client_id nor sub", async () => signToken(es256, claims({ client_id: undefined, sub: undefined })), "invalid_claims"],
    ["client_id not a string", async () => signToken(es256, claims({ client_id: 7 })), "invalid_claims"],
    ["scope not a string", async () => signToken(es256, claims({ scp: undefined, scope: ["calendar.read"] })), "invalid_claims"],
    ["RS256 header on the EC key's kid", async () => signToken(rs256, claims(), { kid: "embedded-1" }), "unknown_key"],
    ["an encrypted token (five parts)", async () => "a.b.c.d.e", "malformed_token"],
    ["a header that is not JSON", async () => `${Buffer.from("{nope").toString("base64url")}.e30.sig`, "malformed_token"],
    ["crit header naming an unknown extension", async () => signRawEs256(es256, { alg: "ES256", kid: es256.kid, crit: ["x-must"], "x-must": 1 }, claims()), "malformed_token"],
  ];
  for (const [name, token, expected] of cases) {
    test(`${name}: ${expected}`, async () => {
      assert.equal(await reasonOf(`Bearer ${await token()}`), expected);
    });
  }

  test("two authorization values joined by a comma are malformed", async () => {
    const token = await signToken(es256, claims());
    assert.equal(await reasonOf(`Bearer ${token}, Bearer ${token}`), "malformed_authorization");
  });

  test("a token over 16 KiB is refused before parsing", async () => {
    assert.equal(await reasonOf(`Bearer ${"a".repeat(20_000)}`), "malformed_token");
  });

  test("error messages never contain the token", async () => {
    const token = await signToken(es256, claims({ exp: now - 3600 }));
    await assert.rejects(verify(`Bearer ${token}`), (err: Error) => !err.message.includes(token) && !err.message.includes(token.split(".")[1]!));
  });
});

describe("only canonical base64url in each of the three parts", () => {
  const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  /** The same bytes, spelled with the lowest unused bit of the last character set. */
  const lastBitSet = (part: string) => part.slice(0, -1) + b64url[b64url.indexOf(part.at(-1)!) | 1];
  /** A valid ES256 token whose signature holds "-" or "_" (to spell it in the standard base64 alphabet). */
  const tokenWithUrlCharacters = async () => {
    for (;;) {
      const token = await signToken(es256, claims());
      if (/[-_]/.test(token.split(".")[2]!)) return token;
    }
  };
  const variant = (edit: (parts: string[]) => void) => async () => {
    const parts = (await signToken(es256, claims())).split(".");
    edit(parts);
    return parts.join(".");
  };
  // Spellings that verified (or failed later, for another reason) before this check.
  const cases: [string, () => Promise<string>][] = [
    ["signature with == padding (the same bytes)", variant((p) => (p[2] += "=="))],
    ["ES256 signature whose last character has an unused bit set (the same bytes)", variant((p) => (p[2] = lastBitSet(p[2]!)))],
    ["RS256 signature whose last character has an unused bit set (the same bytes)", async () => {
      const parts = (await signToken(rs256, claims())).split(".");
      return [parts[0], parts[1], lastBitSet(parts[2]!)].join(".");
    }],
    ["a standard base64 character (+) in the payload", variant((p) => (p[1] = `${p[1]!.slice(0, -1)}+`))],
  ];
  for (const [name, token] of cases) {
    test(`${name}: malformed_token`, async () => {
      assert.equal(await reasonOf(`Bearer ${await token()}`), "malformed_token");
    });
  }

  test("spellings the base64url decoder already refused stay malformed_token (regression guard)", async () => {
    const spellings: [string, () => Promise<string>][] = [
      ["signature with one =", variant((p) => (p[2] += "="))],
      ["~ in the header", variant((p) => (p[0] += "~"))],
      ["~ in the signature", variant((p) => (p[2] += "~"))],
      ["a signature of a length no bytes encode to (4n + 1)", variant((p) => (p[2] += "AAA"))],
      ["signature in the standard base64 alphabet (+ and /)", async () => {
        const [h, p, sig] = (await tokenWithUrlCharacters()).split(".");
        return `${h}.${p}.${sig!.replace(/-/g, "+").replace(/_/g, "/")}`;
      }],
    ];
    for (const [name, token] of spellings) assert.equal(await reasonOf(`Bearer ${await token()}`), "malformed_token", name);
  });

  test("padding inside the token (header or payload) is not even b64token syntax: malformed_authorization", async () => {
    const [h, p, sig] = (await signToken(es256, claims())).split(".");
    assert.equal(await reasonOf(`Bearer ${h}=.${p}.${sig}`), "malformed_authorization");
    assert.equal(await reasonOf(`Bearer ${h}.${p}=.${sig}`), "malformed_authorization");
  });

  test("the message names the part, not its content", async () => {
    const token = await signToken(es256, claims());
    await assert.rejects(verify(`Bearer ${token}==`), {
      reason: "malformed_token",
      message: 'the access token\'s signature is not canonical base64url (only A-Z a-z 0-9 - _, no "=" padding, unused bits zero)',
    });
  });

  test("variants of a verified token are refused and take no cache entry", async () => {
    const cached = createAccessTokenVerifier({ issuer, audience: "calendar-service", keys: createJwksKeySource({ url: jwks.url }), currentDate: () => new Date(now * 1000) });
    const token = await signToken(es256, claims());
    await cached(`Bearer ${token}`);
    assert.equal(cached.cachedTokens(), 1);
    for (const spelling of [`${token}=`, `${token}==`, `${token.slice(0, -1)}${lastBitSet(token.slice(-1))}`]) {
      await assert.rejects(cached(`Bearer ${spelling}`), { reason: "malformed_token" });
    }
    assert.equal(cached.cachedTokens(), 1);
  });
});

describe("options", () => {
  test("a symmetric algorithm is a TypeError at construction", () => {
    assert.throws(
      () => createAccessTokenVerifier({ issuer, audience: "a", keys: createJwksKeySource({ url: jwks.url }), algorithms: ["HS256"] }),
      TypeError,
    );
  });
});

test("authorizeScopes names the missing scope and what the token grants", () => {
  const principal = { clientId: "c", subject: "c", scopes: ["calendar.read"], tokenId: "", expiresAt: new Date() };
  assert.throws(() => authorizeScopes(principal, ["calendar.write"]), {
    reason: "insufficient_scope",
    message: "the access token lacks the scope calendar.write (it grants calendar.read)",
  });
  assert.doesNotThrow(() => authorizeScopes(principal, ["calendar.read"]));
});

describe("verified-token cache", () => {
  const setUp = async (cacheMaxEntries?: number) => {
    let clockMs = now * 1000;
    const keys = createJwksKeySource({ url: jwks.url, minRefetchIntervalMs: 0 });
    const cached = createAccessTokenVerifier({
      issuer,
      audience: "calendar-service",
      keys,
      currentDate: () => new Date(clockMs),
      ...(cacheMaxEntries === undefined ? {} : { cacheMaxEntries }),
    });
    return { cached, keys, advance: (seconds: number) => (clockMs += seconds * 1000) };
  };
  const reason = async (verifier: AccessTokenVerifier, token: string) => {
    try {
      await verifier(`Bearer ${token}`);
      return "ok";
    } catch (err) {
      return (err as AccessTokenError).reason;
    }
  };

  test("a token used again is answered from the cache", async () => {
    const { cached } = await setUp();
    const token = await signToken(es256, claims());
    assert.equal(await reason(cached, token), "ok");
    assert.equal(await reason(cached, token), "ok");
    assert.equal(cached.cachedTokens(), 1);
  });

  test("a cached token is refused once it expires (same 30 s tolerance)", async () => {
    const { cached, advance } = await setUp();
    const token = await signToken(es256, claims({ exp: now + 60 }));
    assert.equal(await reason(cached, token), "ok");
    advance(60 + 29);
    assert.equal(await reason(cached, token), "ok");
    advance(2);
    assert.equal(await reason(cached, token), "token_expired");
  });

  test("a cached token is refused once its key is no longer published", async () => {
    const { cached, keys } = await setUp();
    const extra = await createSigningKey("short-lived", "ES256");
    jwks.keys = [...jwks.keys, extra.publicJwk];
    try {
      await keys.refresh();
      const token = await signToken(extra, claims());
      assert.equal(await reason(cached, token), "ok");
      jwks.keys = jwks.keys.filter((k) => k.kid !== "short-lived");
      await keys.refresh();
      assert.equal(await reason(cached, token), "unknown_key");
    } finally {
      jwks.keys = jwks.keys.filter((k) => k.kid !== "short-lived");
    }
  });

  test("fromCache answers only an authorization value verified before, and not once it has expired", async () => {
    const { cached, advance } = await setUp();
    const token = await signToken(es256, claims({ exp: now + 60 }));
    assert.equal(cached.fromCache(`Bearer ${token}`), undefined, "not verified yet");
    const principal = await cached(`Bearer ${token}`);
    assert.equal(cached.fromCache(`Bearer ${token}`), principal);
    assert.equal(cached.fromCache(`Bearer ${token}x`), undefined, "another value");
    assert.equal(cached.fromCache(null), undefined);
    advance(60 + 31);
    assert.equal(cached.fromCache(`Bearer ${token}`), undefined, "expired");
    assert.equal(await reason(cached, token), "token_expired");
  });

  test("the cache is bounded", async () => {
    const { cached } = await setUp(3);
    for (let i = 0; i < 5; i++) assert.equal(await reason(cached, await signToken(es256, claims({ jti: `t-${i}` }))), "ok");
    assert.equal(cached.cachedTokens(), 3);
  });

  test("when full, the least recently used token goes first", async () => {
    const { cached, advance } = await setUp(2);
    const [a, b, c] = await Promise.all(["a", "b", "c"].map(async (jti) => `Bearer ${await signToken(es256, claims({ jti }))}`));
    await cached(a!);
    await cached(b!);
    advance(2); // recency moves at most once a second per entry
    await cached(a!);
    await cached(c!);
    assert.ok(cached.fromCache(a) !== undefined, "a was used after b");
    assert.equal(cached.fromCache(b), undefined, "b was the least recently used");
    assert.ok(cached.fromCache(c) !== undefined);
  });

  test("a refused token is never cached", async () => {
    const { cached } = await setUp();
    const token = await signToken(es256, claims({ aud: ["note-service"] }));
    assert.equal(await reason(cached, token), "wrong_audience");
    assert.equal(await reason(cached, token), "wrong_audience");
    assert.equal(cached.cachedTokens(), 0);
    assert.equal(cached.fromCache(`Bearer ${token}`), undefined);
  });
});
