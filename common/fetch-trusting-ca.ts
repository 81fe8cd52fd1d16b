/**
 * A small fetch for https URLs that trusts a CA of our choosing, for the few
 * requests this project makes to its own servers (the JWKS, the token
 * endpoint). Node 20's global fetch takes no CA option (only an undici
 * dispatcher, whose version must match the undici bundled with each Node
 * release), so this one runs on node:https, which does take a CA on every
 * Node version.
 *
 * It covers what those callers use: method, headers, a string or
 * URLSearchParams body, and an abort signal. The body is buffered; redirects
 * are not followed (the 3xx response is returned). Failures reject like
 * fetch's: a TypeError "fetch failed" whose cause is the Node error (with its
 * `code`), or the signal's reason when it aborted.
 */
import https from "node:https";
import { createSecureContext } from "node:tls";
import { trustedCertificates } from "./tls.js";

export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** A fetch that trusts `caPem` in addition to Node's built-in roots for https URLs; http URLs go to the global fetch. */
export function createFetchTrustingCa(caPem: string): FetchLike {
  // One secure context for every connection, rather than one per connection.
  const agent = new https.Agent({ secureContext: createSecureContext({ ca: trustedCertificates(caPem) }) });
  return (input, init = {}) => {
    const url = new URL(input);
    return url.protocol === "https:" ? request(url, init, agent) : fetch(url, init);
  };
}

function request(url: URL, init: RequestInit, agent: https.Agent): Promise<Response> {
  const signal = init.signal ?? undefined;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    let body: string | undefined;
    if (typeof init.body === "string") body = init.body;
    else if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers["content-type"] ??= "application/x-www-form-urlencoded;charset=UTF-8";
    } else if (init.body !== undefined && init.body !== null) {
      reject(new TypeError("fetch-trusting-ca: only string and URLSearchParams bodies are supported"));
      return;
    }
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));

    const req = https.request(url, { method: init.method ?? "GET", headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("error", fail);
      res.once("end", () => {
        const status = res.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const noBody = status === 204 || status === 205 || status === 304;
        resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? "", headers: responseHeaders }));
      });
    });
    const onAbort = () => req.destroy(signal?.reason as Error);
    signal?.addEventListener("abort", onAbort, { once: true });
    req.once("close", () => signal?.removeEventListener("abort", onAbort));
    req.once("error", fail);
    req.end(body);

    function fail(err: Error) {
      reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: err }));
    }
  });
}
