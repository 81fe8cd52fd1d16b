/**
 * The token guard on a plain @grpc/grpc-js server (interceptor/grpc-js-auth-interceptor.ts):
 * a small in-memory notes server from the generated descriptors, verifying real
 * tokens from a real auth provider, driven by the grpc-js client and by buf curl.
 * It must give the same answers as our services for the bad-token matrix
 * (support/bad-token-cases.ts): code, message, AuthError reason (decoded from
 * grpc-status-details-bin) and www-authenticate; and hand the principal to handlers.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import { CreateNoteResponseSchema, ListNotesResponseSchema, NoteSchema, NoteService, type Note } from "../gen/m2m/notes/v1/notes_pb.js";
import { createGrpcJsAuthInterceptor, principalOf } from "../interceptor/grpc-js-auth-interceptor.js";
import { createJwksKeySource } from "../interceptor/jwks-key-source.js";
import type { Principal } from "../interceptor/principal.js";
import { createAccessTokenVerifier } from "../interceptor/verify-access-token.js";
import { assertAuthRefusal } from "./support/assertions.js";
import { connectErrorOf, definitionOf } from "./support/grpc-js-services.js";
import { startBadTokenFixtures, type BadTokenFixtures } from "./support/bad-token-fixtures.js";
import { badTokenCases, type Authorization } from "./support/bad-token-cases.js";
import { bufBinary, projectRoot, runCommand } from "./support/commands.js";
import { createDpopKey, dpopAuth, signProof, type DpopTestKey } from "./support/dpop-proofs.js";
import { printSummary } from "./support/summary-table.js";
import { startSystem, type TestSystem } from "./support/system.js";
import { accessClaims, signWithIssuerKey } from "./support/tokens.js";

const audience = "note-service";
let system: TestSystem;
let fixtures: BadTokenFixtures;
let server: grpc.Server;
let address = "";
let client: grpc.Client;
/** The principals the handlers saw, in order. */
const seen: (Principal | undefined)[] = [];

before(async () => {
  system = await startSystem();
  fixtures = await startBadTokenFixtures(system.issuer);

  const verify = createAccessTokenVerifier({ issuer: system.issuer, audience, keys: createJwksKeySource({ url: `${system.auth.url}/auth/jwt/jwks.json` }) });
  server = new grpc.Server({ interceptors: [createGrpcJsAuthInterceptor({ grpc, verify, audience, services: [NoteService] })] });
  const notes: Note[] = [];
  const definition = definitionOf(NoteService);
  server.addService(definition, {
    listNotes: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      seen.push(principalOf(call));
      callback(null, create(ListNotesResponseSchema, { notes }));
    },
    createNote: (call: grpc.ServerUnaryCall<{ note?: Note }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      seen.push(principalOf(call));
      const note = create(NoteSchema, { title: call.request.note?.title ?? "", id: String(notes.length + 1) });
      notes.push(note);
      callback(null, create(CreateNoteResponseSchema, { note }));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  address = `127.0.0.1:${port}`;
  client = new (grpc.makeGenericClientConstructor(definition, "NoteService"))(address, grpc.credentials.createInsecure());
});
after(async () => {
  client?.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  await system?.stop();
  await fixtures?.stop();
});

const summary: { case: string; expected: string; observed: string }[] = [];
after(() => printSummary("bad-token matrix on a grpc-js server", summary));

/** A unary call through the grpc-js client; a refusal comes back as the ConnectError our services' clients would see. */
function call(method: "listNotes" | "createNote", request: object, authorization: Authorization): Promise<unknown> {
  const metadata = new grpc.Metadata();
  try {
    for (const value of authorization === undefined ? [] : typeof authorization === "string" ? [authorization] : authorization) metadata.add("authorization", value);
  } catch (err) {
    return Promise.reject(new UnsendableByGrpcJsClient(String(err)));
  }
  return new Promise((resolve, reject) => {
    const schema = method === "listNotes" ? NoteService.method.listNotes.input : NoteService.method.createNote.input;
    (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!(create(schema, request), metadata, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, value: unknown) =>
      err ? reject(connectErrorOf(err)) : resolve(value),
    );
  });
}

async function refusal(pending: Promise<unknown>): Promise<ConnectError> {
  try {
    await pending;
  } catch (err) {
    if (err instanceof UnsendableByGrpcJsClient) throw err;
    return ConnectError.from(err);
  }
  assert.fail("the call succeeded but should have been refused");
}


/** A request the grpc-js client itself refuses to send (its metadata rules), so the server never sees it. */
class UnsendableByGrpcJsClient extends Error {}

/** The bad-token matrix, through the grpc-js client and through connect's gRPC client (the one token-guard.test.ts uses). */
const clients: { name: string; read: (authorization: Authorization) => Promise<unknown> }[] = [
  {
    name: "grpc-js client",
    read: async (authorization) => {
      try {
        return await call("listNotes", {}, authorization);
      } catch (err) {
        if (err instanceof ConnectError && /metadata cannot have multiple values/.test(err.rawMessage)) throw new UnsendableByGrpcJsClient(err.rawMessage);
        throw err;
      }
    },
  },
  {
    name: "connect gRPC client",
    read: (authorization) =>
      createClient(NoteService, createGrpcTransport({ baseUrl: `http://${address}` })).listNotes(
        {},
        authorization === undefined ? {} : { headers: typeof authorization === "string" ? { authorization } : authorization.map((value): [string, string] => ["authorization", value]) },
      ),
  },
];

/**
 * Where grpc-js itself changes the request before the guard sees it (the guard cannot tell):
 * - the server drops a metadata value with a character outside printable ASCII (a tab), so the guard sees no token:
 *   still UNAUTHENTICATED, but MISSING_TOKEN instead of MALFORMED_AUTHORIZATION;
 * - the grpc-js client does not deliver an authorization value with a trailing space (the connect client does, and
 *   the guard accepts it).
 */
const serverDifferences: Record<string, { reason: AuthFailureReason; message: RegExp }> = {
  "tab between scheme and token": { reason: AuthFailureReason.MISSING_TOKEN, message: /no access token/ },
};
const grpcJsClientUndelivered = new Set(["scheme in upper case, trailing space"]);

const matrix = badTokenCases({
  system: () => system,
  name: "notes",
  audience,
  otherAudience: "calendar-service",
  readScope: "note.read",
  writeScope: "note.write",
  otherIssuer: () => fixtures.otherIssuer(),
  lureUrl: () => fixtures.lureUrl(),
});

for (const client of clients) {
  describe(`the bad-token matrix on a grpc-js server, through the ${client.name}`, () => {
    for (const c of matrix.refused) {
      test(`${c.name}: ${Code[c.code]}`, async (t) => {
        let err: ConnectError;
        try {
          err = await refusal(client.read(await c.authorization()));
        } catch (cause) {
          if (!(cause instanceof UnsendableByGrpcJsClient)) throw cause;
          summary.push({ case: `${client.name}: ${c.name}`, expected: `${Code[c.code]} ${AuthFailureReason[c.reason]}`, observed: "not sent: the grpc-js client refuses it" });
          return t.skip("the grpc-js client refuses to send this metadata");
        }
        const expected = serverDifferences[c.name] ?? c;
        summary.push({ case: `${client.name}: ${c.name}`, expected: `${Code[c.code]} ${AuthFailureReason[expected.reason]}`, observed: `${Code[err.code]} ${AuthFailureReason[err.findDetails(AuthErrorSchema)[0]?.reason ?? 0]}` });
        assertAuthRefusal(err, c.code, expected.reason, expected.message, audience);
      });
    }

    for (const c of matrix.accepted) {
      test(`${c.name}: OK`, async () => {
        let observed = "OK";
        try {
          await client.read(await c.authorization());
        } catch (err) {
          observed = `${Code[ConnectError.from(err).code]}: ${ConnectError.from(err).rawMessage}`;
        }
        if (client.name === "grpc-js client" && grpcJsClientUndelivered.has(c.name)) {
          summary.push({ case: `${client.name}: ${c.name}`, expected: "not delivered by the grpc-js client", observed });
          assert.match(observed, /^Unauthenticated: no access token/);
          return;
        }
        summary.push({ case: `${client.name}: ${c.name}`, expected: "OK", observed });
        assert.equal(observed, "OK");
      });
    }
  });
}

describe("the token guard on a grpc-js server", () => {
  const read = (authorization: Authorization) => call("listNotes", {}, authorization);

  test("headers pointing at other keys were never followed", () => {
    assert.equal(fixtures.lureRequests(), 0);
  });

  test("the handler gets the principal; a refused call never reaches it", async () => {
    const token = await system.token(audience, "note.read note.write");
    seen.length = 0;
    await call("createNote", { note: { title: "from grpc-js" } }, `Bearer ${token}`);
    await refusal(read(undefined));
    await read(`Bearer ${token}`); // from the verified-token cache now
    assert.equal(seen.length, 2);
    for (const principal of seen) {
      assert.equal(principal?.clientId, system.credentials.clientId);
      assert.deepEqual([...principal!.scopes].sort(), ["note.read", "note.write"]);
    }
  });

  test("read scope used on a write method: PermissionDenied naming the missing scope, also once the token is cached", async () => {
    const token = await system.token(audience, "note.read");
    await read(`Bearer ${token}`);
    const err = await refusal(call("createNote", { note: { title: "x" } }, `Bearer ${token}`));
    assertAuthRefusal(err, Code.PermissionDenied, AuthFailureReason.INSUFFICIENT_SCOPE, /lacks the scope note\.write/, audience);
    const [detail] = err.findDetails(AuthErrorSchema);
    assert.deepEqual(detail!.requiredScopes, ["note.write"]);
    assert.deepEqual(detail!.grantedScopes, ["note.read"]);
    assert.match(err.metadata.get("www-authenticate")!, /error="insufficient_scope".*scope="note.write"/);
  });

  test("a method the server does not declare an access rule for is refused (deny by default)", async () => {
    const err = await refusal(
      new Promise((resolve, reject) =>
        client.makeUnaryRequest("/m2m.notes.v1.NoteService/Unknown", (v: Buffer) => v, (b: Buffer) => b, Buffer.alloc(0), new grpc.Metadata(), (e, v) => (e ? reject(connectErrorOf(e)) : resolve(v))),
      ),
    );
    assert.notEqual(err.code, Code.Unknown);
  });
});

describe("DPoP-bound tokens on a grpc-js server (proof checked against http://<:authority><path>, POST)", () => {
  const readWith = (interceptor: Interceptor) =>
    createClient(NoteService, createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [interceptor] })).listNotes({});
  const boundToken = async (key: DpopTestKey) =>
    signWithIssuerKey(system.dataDir, accessClaims(system.issuer, audience, ["note.read"], { cnf: { jkt: key.thumbprint } }));

  test("a good proof: OK, and the handler sees the binding", async () => {
    const key = await createDpopKey();
    seen.length = 0;
    await readWith(dpopAuth(await boundToken(key), key));
    assert.equal(seen[0]?.confirmation?.jkt, key.thumbprint);
  });

  test("the bound token sent as Bearer: DPOP_TOKEN_AS_BEARER", async () => {
    const key = await createDpopKey();
    const token = await boundToken(key);
    const err = await refusal(readWith((next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))));
    assert.equal(Code[err.code], Code[Code.Unauthenticated]);
    assert.equal(AuthFailureReason[err.findDetails(AuthErrorSchema)[0]!.reason], AuthFailureReason[AuthFailureReason.DPOP_TOKEN_AS_BEARER]);
    assert.match(err.metadata.get("www-authenticate") ?? "", /^DPoP error="invalid_token"/);
  });

  test("a proof for another method: INVALID_DPOP_PROOF", async () => {
    const key = await createDpopKey();
    const token = await boundToken(key);
    const err = await refusal(readWith(dpopAuth(token, key, { proofFor: ({ url }) => signProof(key, { url: url.replace("ListNotes", "DeleteNote"), accessToken: token }) })));
    assert.equal(AuthFailureReason[err.findDetails(AuthErrorSchema)[0]!.reason], AuthFailureReason[AuthFailureReason.INVALID_DPOP_PROOF]);
    assert.match(err.rawMessage, /htu must be http:\/\/127\.0\.0\.1:\d+\/m2m\.notes\.v1\.NoteService\/ListNotes/);
  });
});

describe("the token guard on a grpc-js server, through buf curl", () => {
  // buf curl exits with 8 × the gRPC status code.
  const curl = (args: string[]) =>
    runCommand(bufBinary, ["curl", "--http2-prior-knowledge", "--protocol", "grpc", "--schema", `${projectRoot}proto`, ...args, `http://${address}/m2m.notes.v1.NoteService/ListNotes`]);

  test("a valid token: OK", async () => {
    const token = await system.token(audience, "note.read");
    const result = await curl(["-H", `authorization: Bearer ${token}`, "-d", "{}"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  test("no token: unauthenticated, with the AuthError detail", async () => {
    const result = await curl(["-d", "{}"]);
    const output = result.stdout + result.stderr;
    assert.equal(result.code, 8 * 16, output);
    assert.match(output, /"code": "unauthenticated"/);
    assert.match(output, /no access token/);
    assert.match(output, /m2m\.auth\.v1\.AuthError/);
  });

  test("read scope only on a write method: permission_denied", async () => {
    const token = await system.token(audience, "note.read");
    const result = await runCommand(bufBinary, [
      "curl", "--http2-prior-knowledge", "--protocol", "grpc", "--schema", `${projectRoot}proto`,
      "-H", `authorization: Bearer ${token}`, "-d", '{"note":{"title":"x"}}', `http://${address}/m2m.notes.v1.NoteService/CreateNote`,
    ]);
    assert.equal(result.code, 8 * 7, result.stdout + result.stderr);
    assert.ok((result.stdout + result.stderr).includes("lacks the scope note.write"), result.stdout + result.stderr);
  });
});
