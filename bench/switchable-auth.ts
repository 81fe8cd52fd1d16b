/**
 * The benchmark's way to measure what authentication costs: a token guard
 * that every SIGUSR2 turns off or on again, so one process is compared with
 * and without auth (two identical processes differ by more than auth costs).
 *
 * It exists only in `bench/`: the benchmark's own notes entry point
 * (`notes-with-auth-switch.ts`) composes it with the runtime's parts. No
 * production entry point can load it, and no environment variable turns the
 * guard off anywhere.
 */
import type { Interceptor } from "@connectrpc/connect";
import { kPrincipal } from "../interceptor/connect-auth-interceptor.js";
import type { Principal } from "../interceptor/principal.js";

/** The caller every call runs as while auth is off: client "benchmark-without-auth", no scopes needed. */
export const benchmarkPrincipal: Principal = {
  clientId: "benchmark-without-auth",
  subject: "benchmark-without-auth",
  scopes: [],
  tokenId: "",
  expiresAt: new Date(8.64e15),
};

/** `auth` until a SIGUSR2 turns it off, then the fixed caller until the next SIGUSR2, and so on. */
export function createSwitchedAuthInterceptor(auth: Interceptor, onSwitch: (authOn: boolean) => void): Interceptor {
  let authOn = true;
  process.on("SIGUSR2", () => {
    authOn = !authOn;
    onSwitch(authOn);
  });
  return (next) => {
    const withAuth = auth(next);
    const withoutAuth: typeof withAuth = (req) => {
      req.contextValues.set(kPrincipal, benchmarkPrincipal);
      return next(req);
    };
    return (req) => (authOn ? withAuth(req) : withoutAuth(req));
  };
}
