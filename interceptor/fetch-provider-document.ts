/**
 * One GET of a small public JSON document of the auth provider (its JWKS, its
 * revocation list), as every service makes it: https trusting AUTH_CA_FILE's
 * CA besides Node's roots, a timeout for the whole exchange, no redirects, a
 * size cap enforced while the body arrives (not after), and optional ETag
 * revalidation. Every failure is an Error whose message is one line a person
 * can act on ("connection refused", "HTTP 503", a TLS hint).
 */
import { createFetchTrustingCa } from "../common/fetch-trusting-ca.js";
import { describeTlsFailure } from "../common/tls.js";

export interface ProviderDocumentFetchOptions {
  url: string;
  /** PEM of the CA certificate(s) to trust for an https URL, besides Node's built-in roots; default none. */
  ca?: string;
  /** Give up on one exchange (headers and body) after this long. */
  timeoutMs: number;
  /** Refuse a body larger than this many bytes. */
  maxBytes: number;
}

export type FetchedProviderDocument =
  | { readonly status: "ok"; readonly body: unknown; readonly etag: string | undefined }
  /** The document is unchanged since the ETag sent (304). */
  | { readonly status: "not_modified" };

/** A failed fetch; `httpStatus` is set when the provider answered with an unexpected status. */
export class ProviderDocumentFetchError extends Error {
  override name = "ProviderDocumentFetchError";
  constructor(
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

/** Fetches the document; `etag` (from a previous answer) is sent as If-None-Match. */
export type ProviderDocumentFetcher = (etag?: string) => Promise<FetchedProviderDocument>;

/** Builds the fetcher for one URL. @throws ProviderDocumentFetchError (from the fetcher) for any failure. */
export function createProviderDocumentFetcher(options: ProviderDocumentFetchOptions): ProviderDocumentFetcher {
  const url = new URL(options.url);
  const fetchDocument = options.ca === undefined ? fetch : createFetchTrustingCa(options.ca);
  return async (etag) => {
    try {
      const response = await fetchDocument(url, {
        signal: AbortSignal.timeout(options.timeoutMs),
        headers: { accept: "application/json", ...(etag === undefined ? {} : { "if-none-match": etag }) },
        redirect: "error",
      });
      if (response.status === 304 && etag !== undefined) {
        await response.body?.cancel();
        return { status: "not_modified" };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new ProviderDocumentFetchError(`HTTP ${response.status}`, response.status);
      }
      const text = await readCapped(response, options.maxBytes);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ProviderDocumentFetchError("the answer is not JSON");
      }
      return { status: "ok", body, etag: response.headers.get("etag") ?? undefined };
    } catch (err) {
      if (err instanceof ProviderDocumentFetchError) throw err;
      throw new ProviderDocumentFetchError(describeTlsFailure(err, url.href, "trust its CA (AUTH_CA_FILE)") ?? describeFetchError(err));
    }
  };
}

/** The body as text, refused as soon as it exceeds `maxBytes` (a declared Content-Length beyond it is refused unread). */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new ProviderDocumentFetchError(`the document is larger than ${maxBytes} bytes`);
  if (Number(response.headers.get("content-length") ?? 0) > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError") return "timed out";
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code) return cause.code === "ECONNREFUSED" ? "connection refused" : cause.code;
    return err.message;
  }
  return String(err);
}
