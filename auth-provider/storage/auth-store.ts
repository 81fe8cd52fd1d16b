/**
 * The one storage interface of the embedded issuer, with two implementations
 * chosen by DATABASE_URL: SQLite under DATA_DIR (sqlite-auth-store.ts: one
 * process, keys in issuer-keys.json, failed logins counted in memory, exactly
 * as before replicas existed) and PostgreSQL (postgres-auth-store.ts: shared by
 * any number of replicas; keys sealed with the KEK, failed logins counted in
 * the database). Everything here is asynchronous, because PostgreSQL is.
 */
import type { ClientChanges, ClientRecord, NewClient } from "../clients/client-record.js";
import type { AuthAttempt, FailedAuthLimiterOptions, Throttle } from "../clients/failed-auth-limiter.js";
import type { IssuerKeysFile } from "../keys/key-file-format.js";

/**
 * The registered clients (see ClientStore in client-store.ts for each operation's rules and errors). Disabling or
 * removing a client also revokes every token it holds (records "issued before now" for it in the revocations, in
 * the same transaction), so the services refuse them.
 */
export interface ClientRepository {
  register(client: NewClient): Promise<ClientRecord>;
  find(clientId: string): Promise<ClientRecord | undefined>;
  /**
   * The client when the secret is right (the current one, or the previous one while its overlap runs) and it is
   * enabled; the same work for unknown ids and clients without a secret (constant-time compares of both hashes).
   */
  authenticate(clientId: string, secret: string): Promise<ClientRecord | undefined>;
  /**
   * Replaces the secret. With overlapSeconds > 0 the current secret keeps working for that long (it becomes the
   * previous secret, replacing any earlier one); without, any previous secret stops working at once.
   */
  setSecret(clientId: string, secret: string, options?: { overlapSeconds?: number }): Promise<ClientRecord>;
  /** Ends a running overlap (the previous secret stops working); false when none was running. */
  endSecretOverlap(clientId: string): Promise<boolean>;
  /**
   * Removes the secret and any previous one; TypeError when the client has neither a public key nor a certificate
   * subject (it could not log in).
   */
  removeSecret(clientId: string): Promise<ClientRecord>;
  /** Applies `client update` changes; TypeError for invalid fields, Error for an unknown client. */
  update(clientId: string, changes: ClientChanges): Promise<ClientRecord>;
  /** Disables (revoking its tokens) or re-enables a client. */
  setDisabled(clientId: string, disabled: boolean): Promise<void>;
  list(): Promise<ClientRecord[]>;
  /** Deletes a client, revoking its tokens. */
  remove(clientId: string): Promise<void>;
}

/** A revoked token: refused until it would have expired anyway. */
export interface RevokedToken {
  readonly tokenId: string;
  readonly clientId: string;
  /** The token's exp, in seconds since the epoch. */
  readonly expiresAt: number;
}

/** Every token of a client issued before an instant is revoked (disable, remove). */
export interface RevokedClient {
  readonly clientId: string;
  /** Tokens with iat < this (seconds since the epoch) are revoked. */
  readonly tokensIssuedBefore: number;
}

/** What is revoked now; entries that can no longer matter (the token expired anyway) are left out. */
export interface RevocationSnapshot {
  readonly tokens: readonly RevokedToken[];
  readonly clients: readonly RevokedClient[];
  /** Changes whenever the content changes (for ETag). */
  readonly marker: string;
}

/**
 * Revocations, shared by every replica. Entries are kept until they can no longer matter: a token's until its exp,
 * a client's for the longest token lifetime (86400 s) after its instant.
 */
export interface RevocationRepository {
  revokeToken(token: RevokedToken): Promise<void>;
  /** Revokes every token of the client issued before `issuedBefore` (seconds; the later instant wins). */
  revokeClientTokens(clientId: string, issuedBefore: number): Promise<void>;
  /** Whether a token with these claims is revoked. */
  isRevoked(token: { tokenId: string; clientId: string; issuedAt: number }): Promise<boolean>;
  /** The current revocations; nowSeconds decides what has expired. */
  snapshot(nowSeconds: number): Promise<RevocationSnapshot>;
}

/** Remembers client assertion ids (RFC 7523 jti) until they expire, across replicas. */
export interface ClientAssertionReplayGuard {
  /** True the first time (clientId, jti) is seen before expiresAt (seconds); false for a replay. */
  useOnce(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
}

/** Counts a client's issued tokens per minute, across replicas. */
export interface TokenBudget {
  /**
   * Takes one token from the client's budget of `perMinute` in the current minute (a fixed window starting on the
   * minute); `retryAfterSeconds` when the budget is spent (nothing is counted then).
   */
  take(clientId: string, perMinute: number, nowMs: number): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }>;
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
  readonly revocations: RevocationRepository;
  readonly assertionReplayGuard: ClientAssertionReplayGuard;
  readonly tokenBudget: TokenBudget;
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
