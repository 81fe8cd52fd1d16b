/**
 * One of the two token issuers behind the same HTTP surface: what the HTTP
 * shell (app.ts) needs from it, and how to stop it.
 */
import type { AuthProviderAppDeps } from "./http/app.js";

export interface AuthBackend extends Omit<AuthProviderAppDeps, "logger"> {
  readonly name: "embedded" | "supertokens";
  close(): void;
}
