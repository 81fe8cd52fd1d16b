/**
 * Adds the narrowest token to each call: the service's audience and the
 * scopes the method declares in proto (`(m2m.auth.v1.access)`), so a read never
 * carries a write scope. When a service answers UNAUTHENTICATED to a cached
 * token (keys rotated, token revoked), the token is dropped and the call is
 * made once more with a fresh one.
 *
 * A DPoP-bound token goes as `authorization: DPoP <token>` with a `dpop`
 * proof signed for this call alone (RFC 9449 §7): htm the HTTP method (POST),
 * htu the method's URL (`<base URL>/<package.Service>/<Method>`, the same for
 * gRPC, Connect and gRPC-Web) and ath the token's hash; a retry signs anew.
 */
import { Code, ConnectError, type Interceptor, type StreamResponse, type UnaryResponse } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { accessRequirementOf } from "../interceptor/access-rule.js";
import { signDpopProof } from "./dpop-proof-signer.js";
import type { ProvidedToken, TokenProvider } from "./token-provider.js";

const isUnauthenticated = (err: unknown) => ConnectError.from(err).code === Code.Unauthenticated;

export function createTokenInterceptor(tokens: TokenProvider, audience: string): Interceptor {
  return (next) => async (req) => {
    const requirement = accessRequirementOf(req.method);
    if (requirement.kind !== "scopes") return next(req);
    const scope = requirement.requiredScopes.join(" ");
    const token = await tokens.getToken(audience, scope);

    // A server-streaming request is a one-shot iterable: keep its message so a retry can send it again.
    const messages: unknown[] = [];
    if (req.stream) for await (const m of req.message) messages.push(m);
    const attempt = (provided: ProvidedToken) => {
      if (provided.tokenType === "DPoP" && provided.dpopKey !== undefined) {
        req.header.set("authorization", `DPoP ${provided.accessToken}`);
        // req.url is the base URL followed by /<package.Service>/<Method>.
        req.header.set("dpop", signDpopProof(provided.dpopKey, { method: req.requestMethod, url: req.url, accessToken: provided.accessToken }));
      } else {
        req.header.set("authorization", `Bearer ${provided.accessToken}`);
        req.header.delete("dpop");
      }
      return next(req.stream ? ({ ...req, message: createAsyncIterable(messages) } as typeof req) : req);
    };
    const retry = async () => {
      tokens.invalidate(audience, scope);
      return attempt(await tokens.getToken(audience, scope));
    };

    let res: UnaryResponse | StreamResponse;
    try {
      res = await attempt(token);
    } catch (err) {
      if (token.cached && isUnauthenticated(err)) return retry();
      throw err;
    }
    if (!res.stream || !token.cached) return res;
    // Over the Connect protocol a stream's error arrives as its first "message".
    const it = res.message[Symbol.asyncIterator]();
    let first: IteratorResult<unknown>;
    try {
      first = await it.next();
    } catch (err) {
      if (isUnauthenticated(err)) return retry();
      throw err;
    }
    return { ...res, message: prepend(first, it) } as StreamResponse;
  };
}

async function* prepend<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  if (first.done) return;
  yield first.value;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}
