/**
 * The token interceptor in memory (a router transport): a DPoP token goes as `DPoP <token>` with a proof that
 * passes the services' checks for the method's URL, a new one per call and per retry; a Bearer token goes as
 * before, without a proof.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { createDpopProofVerifier } from "../interceptor/dpop-proof.js";
import { generateDpopKey } from "./dpop-key.js";
import { createTokenInterceptor } from "./token-interceptor.js";
import type { ProvidedToken, TokenProvider } from "./token-provider.js";

const key = generateDpopKey();

/** A provider handing out the given tokens in turn (the last one again when they run out), counting invalidations. */
function provider(tokens: ProvidedToken[]): TokenProvider & { invalidated: number } {
  let next = 0;
  return {
    invalidated: 0,
    getToken: async () => tokens[Math.min(next++, tokens.length - 1)]!,
    invalidate() {
      this.invalidated++;
    },
  };
}

/** A notes client whose server records what each call carried and answers `answer` (throwing refuses). */
function client(tokens: TokenProvider, answer: (headers: Headers) => void = () => {}) {
  const seen: { authorization: string | null; dpop: string | null }[] = [];
  const transport = createRouterTransport(
    (router) =>
      router.service(NoteService, {
        listNotes: (_req, ctx) => {
          seen.push({ authorization: ctx.requestHeader.get("authorization"), dpop: ctx.requestHeader.get("dpop") });
          answer(ctx.requestHeader);
          return {};
        },
      }),
    { transport: { interceptors: [createTokenInterceptor(tokens, "note-service")] } },
  );
  return { notes: createClient(NoteService, transport), seen };
}

const dpopToken = (accessToken: string, cached = false): ProvidedToken => ({ accessToken, tokenType: "DPoP", expiresAt: Date.now() + 60_000, scope: "note.read", cached, dpopKey: key });
const listUrl = "https://in-memory/m2m.notes.v1.NoteService/ListNotes";

test("a DPoP token goes with a proof for this method's URL and this token, a new one per call", async () => {
  const { notes, seen } = client(provider([dpopToken("dpop.token.one")]));
  await notes.listNotes({});
  await notes.listNotes({});
  const verify = createDpopProofVerifier();
  for (const call of seen) {
    assert.equal(call.authorization, "DPoP dpop.token.one");
    const proof = await verify(call.dpop ?? undefined, { method: "POST", urls: [listUrl], accessToken: "dpop.token.one" });
    assert.equal(proof.thumbprint, key.thumbprint);
  }
  assert.notEqual(seen[0]!.dpop, seen[1]!.dpop);
});

test("a Bearer token goes as before, without a proof", async () => {
  const { notes, seen } = client(provider([{ accessToken: "bearer.token", tokenType: "Bearer", expiresAt: Date.now() + 60_000, scope: "note.read", cached: false }]));
  await notes.listNotes({});
  assert.deepEqual(seen, [{ authorization: "Bearer bearer.token", dpop: null }]);
});

test("a cached DPoP token the service refuses is dropped; the retry carries the fresh token and a proof for it", async () => {
  const tokens = provider([dpopToken("stale.dpop.token", true), dpopToken("fresh.dpop.token")]);
  const { notes, seen } = client(tokens, (headers) => {
    if (headers.get("authorization") === "DPoP stale.dpop.token") throw new ConnectError("token revoked", Code.Unauthenticated);
  });
  await notes.listNotes({});
  assert.equal(tokens.invalidated, 1);
  assert.deepEqual(seen.map((call) => call.authorization), ["DPoP stale.dpop.token", "DPoP fresh.dpop.token"]);
  await createDpopProofVerifier()(seen[1]!.dpop ?? undefined, { method: "POST", urls: [listUrl], accessToken: "fresh.dpop.token" });
});
