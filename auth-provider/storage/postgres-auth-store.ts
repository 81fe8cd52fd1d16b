/**
 * The PostgreSQL implementation of AuthStore, shared by any number of auth
 * provider replicas (and the admin CLI): one pool, the auth migrations applied
 * under the migration lock (then clients from before grants converted), the
 * clients, the sealed keys, the settings, the revocations, the used client
 * assertion ids, the token budgets and the shared failed-login counts.
 * Nothing is kept in DATA_DIR.
 */
import type { Logger } from "../../common/json-logger.js";
import type { PostgresLocation } from "../../common/database/database-url.js";
import { migratePostgres } from "../../common/database/migrations.js";
import { createPostgresPool, isPostgresUnavailable, postgresErrorText } from "../../common/database/postgres-pool.js";
import type { KeyEncryptionKey } from "../keys/key-encryption.js";
import type { ScopeCatalog } from "../policy/scope-catalog.js";
import { hashKeyOf } from "../keys/key-file.js";
import type { IssuerKeysFile } from "../keys/key-file-format.js";
import { authComponent, authMigrations } from "./auth-migrations.js";
import type { AuthStore } from "./auth-store.js";
import { createPostgresAssertionReplayGuard } from "./postgres-assertion-replay-guard.js";
import { convertLegacyPostgresClients, createPostgresClientStore } from "./postgres-client-store.js";
import { createPostgresFailedAuthLimiter, type PostgresFailedAuthLimiter } from "./postgres-failed-auth-limiter.js";
import { createPostgresKeyStore } from "./postgres-key-store.js";
import { createPostgresRevocations } from "./postgres-revocations.js";
import { createPostgresTokenBudget } from "./postgres-token-budget.js";

const defaultTokenTtl = "default_token_ttl_seconds";

/** What {@link openPostgresAuthStore} needs. */
export interface PostgresAuthStoreOptions {
  readonly location: PostgresLocation;
  readonly kek: KeyEncryptionKey;
  readonly logger: Logger;
  /** True for the auth provider (creates the keys on an empty database); false for the admin CLI. */
  readonly create: boolean;
  /** Shown in pg_stat_activity. */
  readonly applicationName: string;
  /** Turns the scope and audience lists of clients from before grants into grants (logged). */
  readonly catalog: ScopeCatalog;
  /** The clock (ms) of secret overlaps, revocation instants and clean-ups; default Date.now (tests freeze it). */
  readonly now?: () => number;
}

/**
 * Connects, migrates and loads (or, with create, creates) the keys.
 * @throws the PostgreSQL error (never with the URL), SchemaTooNewError, SealedValueError for another KEK, or an Error
 *   saying the keys are missing (create: false on a database no provider has started on).
 */
export async function openPostgresAuthStore(options: PostgresAuthStoreOptions): Promise<AuthStore> {
  const pool = createPostgresPool(options.location, { applicationName: options.applicationName, logger: options.logger });
  const limiters: PostgresFailedAuthLimiter[] = [];
  try {
    await migratePostgres(pool, authComponent, authMigrations);
    await convertLegacyPostgresClients(pool, options.catalog, options.logger);
    const keys = createPostgresKeyStore(pool, options.kek);
    const initial: { stored: IssuerKeysFile; created: boolean } = options.create ? await keys.loadOrCreate() : { stored: await keys.read(), created: false };
    return {
      backend: "postgres",
      shared: true,
      clients: createPostgresClientStore(pool, hashKeyOf(initial.stored), { now: options.now }),
      revocations: createPostgresRevocations(pool, options.now),
      assertionReplayGuard: createPostgresAssertionReplayGuard(pool, options.now),
      tokenBudget: createPostgresTokenBudget(pool, options.now),
      keys: { ...keys, loadOrCreate: async () => initial },
      settings: {
        async recordDefaultTokenTtl(seconds) {
          await pool.query(
            `INSERT INTO auth_settings (name, value, updated_at) VALUES ($1, $2, now())
               ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
            [defaultTokenTtl, String(seconds)],
          );
        },
        async readDefaultTokenTtl() {
          const { rows } = await pool.query<{ value: string }>("SELECT value FROM auth_settings WHERE name = $1", [defaultTokenTtl]);
          const seconds = rows[0] === undefined ? Number.NaN : Number(rows[0].value);
          return Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
        },
      },
      isUnavailable: isPostgresUnavailable,
      createFailedAuthLimiter(limits) {
        const limiter = createPostgresFailedAuthLimiter(pool, { ...limits, logger: options.logger });
        limiters.push(limiter);
        return limiter;
      },
      async close() {
        for (const limiter of limiters) limiter.close();
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => {});
    if (!isPostgresUnavailable(err)) throw err;
    // Say which database (without its password) and which setting points at it.
    throw new Error(`cannot reach PostgreSQL at ${options.location.redacted} (DATABASE_URL): ${postgresErrorText(err)}`, { cause: err });
  }
}
