/**
 * Turns an RPC failure into one line a person can act on, and the exit-code
 * kind it belongs to.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { CliError } from "../common/cli-error.js";

/** `service` names the service ("calendar service"), `url` where it was called. */
export function cliErrorFromRpc(err: unknown, service: string, url: string): CliError {
  // A CliError raised while preparing the call (getting a token) keeps its own message and kind.
  for (let cause: unknown = err, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof CliError) return cause;
  }
  const e = ConnectError.from(err);
  switch (e.code) {
    case Code.NotFound:
      return new CliError("not_found", e.rawMessage, { cause: e });
    case Code.Aborted:
      return new CliError("conflict", `${e.rawMessage} — get it again and retry with its new etag`, { cause: e });
    case Code.InvalidArgument:
      return new CliError("usage", e.rawMessage, { cause: e });
    case Code.Unauthenticated:
      return new CliError("auth", `the ${service} refused the token: ${e.rawMessage}`, { cause: e });
    case Code.PermissionDenied:
      return new CliError("auth", `the ${service} refused the call: ${e.rawMessage}`, { cause: e });
    case Code.Unavailable:
      return isConnectionFailure(e)
        ? new CliError("unreachable", `cannot reach the ${service} at ${url} — is \`npm start\` running?`, { cause: e })
        : new CliError("unreachable", `the ${service} is unavailable: ${e.rawMessage}`, { cause: e });
    case Code.Canceled:
      // Not cancelled by us (commands cancel nothing but watches, which end quietly): the connection broke,
      // most often because an http:// URL points at a TLS port.
      return new CliError("unreachable", `the connection to the ${service} at ${url} broke (${e.rawMessage}) — if it serves TLS, use an https:// URL`, { cause: e });
    case Code.DeadlineExceeded:
      return new CliError("unreachable", `the ${service} at ${url} did not answer in time`, { cause: e });
    default:
      return new CliError("internal", `the ${service} failed: ${Code[e.code]}: ${e.rawMessage}`, { cause: e });
  }
}

// Connection-level failures carry a Node system error (ECONNREFUSED, ...) as cause.
function isConnectionFailure(e: ConnectError): boolean {
  let cause: unknown = e.cause;
  for (let depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|ERR_HTTP2)/.test(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return /ECONNREFUSED|connect/i.test(e.rawMessage) && !/server is shutting down/.test(e.rawMessage);
}
