/**
 * BENCH_DISABLE_AUTH: benchmark-only settings that take the token guard out,
 * to measure what authentication costs. Never set it anywhere else: with auth
 * off every call is accepted without a token. The service says so loudly.
 * - `1`: auth is off from start-up;
 * - `switch`: auth starts on, and every SIGUSR2 turns it off or on again, so
 *   the benchmark compares one process with and without auth (two identical
 *   processes can differ by more than auth costs).
 */
import type { Interceptor } from "@connectrpc/connect";
import { kPrincipal } from "../interceptor/connect-auth-interceptor.js";

export const benchmarkWithoutAuthVariable = "BENCH_DISABLE_AUTH";

export type BenchmarkAuthSetting = "unset" | "off" | "switch";

export function benchmarkAuthSetting(env: Readonly<Record<string, string | undefined>>): BenchmarkAuthSetting {
  const value = env[benchmarkWithoutAuthVariable];
  if (value === "1") return "off";
  if (value === "switch") return "switch";
  return "unset";
}

/** Every call runs as the client "benchmark-without-auth", with every scope. */
export function createBenchmarkPrincipalInterceptor(): Interceptor {
  const principal = { clientId: "benchmark-without-auth", subject: "benchmark-without-auth", scopes: [], tokenId: "", expiresAt: new Date(8.64e15) };
  return (next) => (req) => {
    req.contextValues.set(kPrincipal, principal);
    return next(req);
  };
}

/** `auth` until a SIGUSR2 turns it off, then the fixed caller until the next SIGUSR2, and so on. */
export function createSwitchedAuthInterceptor(auth: Interceptor, onSwitch: (authOn: boolean) => void): Interceptor {
  const off = createBenchmarkPrincipalInterceptor();
  let authOn = true;
  process.on("SIGUSR2", () => {
    authOn = !authOn;
    onSwitch(authOn);
  });
  return (next) => {
    const withAuth = auth(next);
    const withoutAuth = off(next);
    return (req) => (authOn ? withAuth(req) : withoutAuth(req));
  };
}
