/**
 * When a PostgreSQL store deletes expired rows: at most once per interval per
 * process, on a call that writes anyway (no timer to stop). With several
 * replicas each prunes now and then; the deletes take bounded batches and
 * skip rows another replica is deleting, so they never wait on each other.
 */

/** A gate that opens at most once per intervalMs (default 10 s). */
export function createPruneGate(now: () => number, intervalMs = 10_000): () => boolean {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const at = now();
    if (at - last < intervalMs) return false;
    last = at;
    return true;
  };
}
