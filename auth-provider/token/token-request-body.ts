/**
 * Reading the body of a request to the token endpoint (and to the revocation
 * and introspection endpoints, which take the same bodies and client
 * credentials), form-encoded or JSON, into the few parameters they use. Parameters sent without a value count as
 * omitted (RFC 6749 §3.1); a parameter sent twice is an error (RFC 6749 §3.2),
 * except audience, which reports "one audience per token" instead. The
 * content type alone decides how a body is read: a JSON body must be an
 * object, so a JSON string is refused rather than read as a form.
 */
import { OAuthError, quoteValue } from "./oauth-error.js";

/** The body size the token endpoint accepts. */
export const tokenRequestBodyLimit = "16kb";

/** Token request parameters; absent or empty ones are undefined. */
export interface TokenRequestParams {
  readonly grantType: string | undefined;
  readonly scope: string | undefined;
  /** Every requested audience: repeated fields, space-separated values and JSON arrays, flattened. */
  readonly audiences: readonly string[];
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  /** private_key_jwt (RFC 7521 §4.2): the assertion's type and the assertion. */
  readonly clientAssertionType: string | undefined;
  readonly clientAssertion: string | undefined;
  /** The token to revoke or introspect (RFC 7009 §2.1, RFC 7662 §2.1), and the caller's hint of its type. */
  readonly token: string | undefined;
  readonly tokenTypeHint: string | undefined;
}

/** Body parameters by name, each with every value it was sent with. */
export type RawParams = Map<string, string[]>;

const formType = "application/x-www-form-urlencoded";
const jsonType = "application/json";

/** The media types the token endpoint accepts, for express body parsers and req.is(). */
export const tokenRequestMediaTypes = [formType, jsonType] as const;

/** The media type a body came with: which of the two express parsers read it. */
export type TokenRequestMediaType = (typeof tokenRequestMediaTypes)[number];

/**
 * The parameters of a parsed body: a form body arrives as a string (parsed here), a JSON body as whatever JSON value
 * express parsed. The media type decides how the body is read, never the value's type: a JSON string is not a form.
 * @throws OAuthError invalid_request for a missing body, a JSON body that is not an object (a string, array,
 *   number, boolean or null), a non-string value, or a repeated parameter.
 */
export function readTokenRequestParams(body: unknown, mediaType: TokenRequestMediaType | undefined): TokenRequestParams {
  if (body === undefined) {
    throw new OAuthError("invalid_request", `the request needs a body of type ${formType} or ${jsonType}`);
  }
  let raw: RawParams;
  if (mediaType === formType && typeof body === "string") raw = parseFormBody(body);
  else if (mediaType === jsonType && typeof body === "object" && body !== null && !Array.isArray(body)) {
    raw = readJsonBody(body);
  } else if (mediaType === jsonType) {
    throw new OAuthError("invalid_request", `the JSON body must be an object, not ${jsonKind(body)}`);
  } else throw new OAuthError("invalid_request", `the request needs a body of type ${formType} or ${jsonType}`);

  const single = (name: string): string | undefined => {
    const values = raw.get(name) ?? [];
    if (values.length > 1) throw new OAuthError("invalid_request", `parameter ${name} is repeated`);
    return values[0] === "" ? undefined : values[0];
  };
  const audiences = (raw.get("audience") ?? []).flatMap((value) => value.split(" ")).filter((a) => a !== "");
  return {
    grantType: single("grant_type"),
    scope: single("scope"),
    audiences,
    clientId: single("client_id"),
    clientSecret: single("client_secret"),
    clientAssertionType: single("client_assertion_type"),
    clientAssertion: single("client_assertion"),
    token: single("token"),
    tokenTypeHint: single("token_type_hint"),
  };
}

/** Maps express body-parser failures (bad JSON, too large, bad charset or encoding) to invalid_request. */
export function bodyParserErrorToOAuthError(err: unknown): OAuthError | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  switch (type) {
    case "entity.parse.failed":
      return new OAuthError("invalid_request", "the request body is not valid JSON");
    case "entity.too.large":
      return new OAuthError("invalid_request", `the request body is larger than ${tokenRequestBodyLimit}`);
    case "charset.unsupported":
      return new OAuthError("invalid_request", "the request body must be UTF-8");
    case "encoding.unsupported":
      return new OAuthError("invalid_request", "the request body must not be compressed");
    case "request.size.invalid":
    case "request.aborted":
      return new OAuthError("invalid_request", "the request body was incomplete");
    default:
      return undefined;
  }
}

/** Parses an application/x-www-form-urlencoded body, keeping every value of repeated names. */
export function parseFormBody(text: string): RawParams {
  const raw: RawParams = new Map();
  for (const [name, value] of new URLSearchParams(text)) {
    const values = raw.get(name);
    if (values === undefined) raw.set(name, [value]);
    else values.push(value);
  }
  return raw;
}

// "a string", "an array", "null", "a number", "a boolean": how error descriptions name a JSON value's type.
function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

const knownParams = new Set([
  "grant_type",
  "scope",
  "audience",
  "client_id",
  "client_secret",
  "client_assertion_type",
  "client_assertion",
  "token",
  "token_type_hint",
]);

// Unknown parameters are ignored (RFC 6749 §3.2), whatever their type; known ones must be strings (audience may
// also be an array of strings). null counts as omitted.
function readJsonBody(body: object): RawParams {
  const raw: RawParams = new Map();
  for (const [name, value] of Object.entries(body)) {
    if (!knownParams.has(name) || value === null) continue;
    if (typeof value === "string") raw.set(name, [value]);
    else if (name === "audience" && Array.isArray(value) && value.every((v) => typeof v === "string")) {
      raw.set(name, value as string[]);
    } else {
      const kind = Array.isArray(value) ? "an array" : typeof value;
      const expected = name === "audience" ? "a string or an array of strings" : "a string";
      throw new OAuthError("invalid_request", `${quoteValue(name)} must be ${expected}, not ${kind}`);
    }
  }
  return raw;
}
