/**
 * A fetch that trusts a CA of our choosing, for the few requests this project
 * makes to its own servers (the JWKS, the token endpoint), and can present a
 * client certificate (mutual TLS). Node 20's global fetch takes no TLS
 * options, and a dispatcher handed to it must match the undici bundled with
 * each Node release; so this is undici's own fetch (the package, one version
 * for every Node) with an Agent whose TLS connections trust the CA besides
 * Node's built-in roots.
 *
 * It is fetch: any body, redirects as `init.redirect` says, the response
 * streamed. Failures reject as fetch's do: a TypeError "fetch failed" whose
 * cause is the Node or TLS error (with its `code`), or the signal's reason
 * when it aborted.
 */
import type { ClientCertificate } from "./client-certificate.js";
import { trustedCertificates } from "./tls.js";

/** What callers need of fetch; the global fetch is one. */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that trusts `caPem` (PEM, one or more certificates) in addition to Node's built-in roots for https URLs
 * (only the built-in roots when undefined), and presents `clientCertificate` when a server asks for one; http URLs
 * work as with any fetch. Its connections are pooled and kept alive for a few seconds; idle ones do not keep the
 * process alive.
 */
export function createFetchTrustingCa(caPem: string | undefined, clientCertificate?: Pick<ClientCertificate, "cert" | "key">): FetchLike {
  const tls = {
    ...(caPem === undefined ? {} : { ca: trustedCertificates(caPem) }),
    ...(clientCertificate === undefined ? {} : { cert: clientCertificate.cert, key: clientCertificate.key }),
  };
  // undici is loaded on the first request, not with this module: the CLI imports this module on every start, and
  // most commands never need a CA of their own.
  let ready: Promise<{ fetch: typeof import("undici").fetch; dispatcher: import("undici").Agent }> | undefined;
  return async (input, init = {}) => {
    ready ??= import("undici").then(({ Agent, fetch }) => ({
      fetch,
      // One agent (and one certificate list) for every request made with this fetch.
      dispatcher: new Agent({ connect: tls }),
    }));
    const { fetch, dispatcher } = await ready;
    // The package declares its own RequestInit and Response, a newer copy of the global fetch's types. What
    // crosses here (strings, URLSearchParams, header records, an AbortSignal; status, headers and body of the
    // response) works the same with both; only `instanceof Response` would tell the two apart.
    return fetch(input, { ...(init as Parameters<typeof fetch>[1]), dispatcher }) as unknown as Promise<Response>;
  };
}
