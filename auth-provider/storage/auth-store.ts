/**
 * The one storage interface of the embedded issuer, with two implementations
 * chosen by DATABASE_URL: SQLite under DATA_DIR (sqlite-auth-store.ts: one
 * process, keys in issuer-keys.json, failed logins counted in memory, exactly
 * as before replicas existed) and PostgreSQL (postgres-auth-store.ts: shared by
 * any number of replicas; keys sealed with the KEK, failed logins counted in
 * the database). Everything here is asynchronous, because PostgreSQL is.
 */
import type { ClientRecord, NewClient } from "../clients/client-store.js";
import type { AuthAttempt, FailedAuthLimiterOptions, Throttle } from "../clients/failed-auth-limiter.js";
import type { IssuerKeysFile } from "../keys/key-file-format.js";

/** The registered clients (see ClientStore in client-store.ts for each operation's rules and errors). */
export interface ClientRepository {
  register(client: NewClient): Promise<ClientRecord>;
  find(clientId: string): Promise<ClientRecord | undefined>;
  /** The client when the secret is right and it is enabled; the same work for unknown ids (constant-time compare). */
  authenticate(clientId: string, secret: string): Promise<ClientRecord | undefined>;
  setSecret(clientId: string, secret: string): Promise<void>;
  setDisabled(clientId: string, disabled: boolean): Promise<void>;
  list(): Promise<ClientRecord[]>;
  /** Every scope some enabled client may request, sorted. */
  allScopes(): Promise<string[]>;
  remove(clientId: string): Promise<void>;
}

/** The issuer keys and their rotation schedule, in the IssuerKeysFile shape whichever the backend. */
export interface IssuerKeyStore {
  /** Where the keys live, for logs: the keys file's path, or "database". */
  readonly location: string;
  /** Loads the keys, creating them when there are none (on PostgreSQL exactly one replica creates them). */
  loadOrCreate(): Promise<{ stored: IssuerKeysFile; created: boolean }>;
  /** The keys as stored now. Throws when they are missing or invalid. */
  read(): Promise<IssuerKeysFile>;
  /**
   * The keys and a change marker when they changed since `marker` (undefined: load them), else undefined. Cheap when
   * nothing changed: the running provider calls it every second.
   */
  readIfChanged(marker: string | undefined): Promise<{ stored: IssuerKeysFile; marker: string } | undefined>;
  /**
   * Read-modify-write under the store's lock, so replicas and the admin CLI never lose each other's changes. change
   * returns the new keys, or undefined to leave them alone; the client-secret hash key may not change.
   */
  update<T extends { file: IssuerKeysFile } | undefined>(change: (current: IssuerKeysFile) => T): Promise<T>;
}

/** Settings of the running provider that `auth-admin` honours (see issuer-settings.ts). */
export interface IssuerSettingsStore {
  recordDefaultTokenTtl(seconds: number): Promise<void>;
  readDefaultTokenTtl(): Promise<number | undefined>;
}

/**
 * Counts failed client authentications (failed-auth-limiter.ts has the rules). `check` of an attempt without a
 * client id may answer from what this process knows (it runs before the body is read); with a client id it sees
 * every replica's failures.
 */
export interface SharedFailedAuthLimiter {
  check(attempt: AuthAttempt): Throttle | undefined | Promise<Throttle | undefined>;
  recordFailure(attempt: AuthAttempt): Throttle | undefined | Promise<Throttle | undefined>;
  recordSuccess(attempt: AuthAttempt & { readonly clientId: string }): void | Promise<void>;
}

/** The embedded issuer's storage. */
export interface AuthStore {
  readonly backend: "sqlite" | "postgres";
  /** True when several replicas share it: then a replica never re-issues a secret it cannot see (the assistant's). */
  readonly shared: boolean;
  readonly clients: ClientRepository;
  readonly keys: IssuerKeyStore;
  readonly settings: IssuerSettingsStore;
  /** Whether err means the store cannot be reached right now (answer 503 and retry), rather than a fault. */
  isUnavailable(err: unknown): boolean;
  /** A limiter counting in memory (SQLite) or in the database (PostgreSQL); stopped by close(). */
  createFailedAuthLimiter(options: FailedAuthLimiterOptions): SharedFailedAuthLimiter;
  /** Closes the database (and stops the limiter's clean-up). */
  close(): Promise<void>;
}

/** Thrown when opening a store for the admin CLI finds no issuer keys: no auth provider has started on it yet. */
export class NoIssuerKeysError extends Error {
  override name = "NoIssuerKeysError";
}
