/**
 * The auth store with a storage span per call on the token path, wrapped once
 * at the AuthStore boundary (whichever backend is behind it): client lookup
 * and authentication, the client-assertion replay guard, token budgets and
 * revocations. Spans carry the repository and the method, never an argument
 * (a secret, an assertion id, a token) or a result. Only while tracing is on.
 * (On SQLite, token budgets are counted in memory; their spans say sqlite all
 * the same: the backend of the store.)
 */
import { withStorageSpans } from "../../common/storage-spans.js";
import { tracingEnabled } from "../../common/tracing.js";
import type { AuthStore } from "./auth-store.js";

/** store itself when tracing is off; else the same store (same object shape) whose token-path calls are spans. */
export function traceAuthStore(store: AuthStore): AuthStore {
  if (!tracingEnabled()) return store;
  const system = store.backend === "postgres" ? "postgresql" : "sqlite";
  const traced = Object.create(Object.getPrototypeOf(store) as object | null, Object.getOwnPropertyDescriptors(store)) as AuthStore;
  return Object.defineProperties(traced, {
    clients: { value: withStorageSpans(store.clients, system, "clients", ["find", "authenticate"]), enumerable: true },
    assertionReplayGuard: { value: withStorageSpans(store.assertionReplayGuard, system, "client_assertions", ["useOnce"]), enumerable: true },
    tokenBudget: { value: withStorageSpans(store.tokenBudget, system, "token_budgets", ["take"]), enumerable: true },
    revocations: {
      value: withStorageSpans(store.revocations, system, "revocations", ["revokeToken", "revokeClientTokens", "isRevoked", "snapshot"]),
      enumerable: true,
    },
  });
}
