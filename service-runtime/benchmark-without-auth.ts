/**
 * BENCH_DISABLE_AUTH=1: a benchmark-only switch that replaces the token guard
 * with a fixed caller, to measure what authentication costs. Never set it
 * anywhere else: every call is then accepted without a token. The service
 * says so loudly at start-up.
 */
import type { Interceptor } from "@connectrpc/connect";
import { kPrincipal } from "../interceptor/connect-auth-interceptor.js";

export const benchmarkWithoutAuthVariable = "BENCH_DISABLE_AUTH";

export function isAuthDisabledForBenchmark(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[benchmarkWithoutAuthVariable] === "1";
}

/** Every call runs as the client "benchmark-without-auth", with every scope. */
export function createBenchmarkPrincipalInterceptor(): Interceptor {
  const principal = { clientId: "benchmark-without-auth", subject: "benchmark-without-auth", scopes: [], tokenId: "", expiresAt: new Date(8.64e15) };
  return (next) => (req) => {
    req.contextValues.set(kPrincipal, principal);
    return next(req);
  };
}
