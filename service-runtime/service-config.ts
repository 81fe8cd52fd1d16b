/**
 * Settings every RPC service reads from the environment: where to listen,
 * where its data lives, and how to verify tokens.
 */
import { join } from "node:path";
import { readPort, readString } from "../common/env.js";
import { loadVerifierConfig, type VerifierConfig } from "../interceptor/verifier-config.js";

export interface ServiceIdentity {
  /** Short name used in logs and file names, e.g. "calendar". */
  name: string;
  /** Prefix of the service's variables: CALENDAR_PORT, CALENDAR_HOST, CALENDAR_AUDIENCE. */
  envPrefix: string;
  defaultPort: number;
  defaultAudience: string;
}

export interface ServiceConfig {
  port: number;
  host: string;
  /** The SQLite file, $DATA_DIR/<name>.db. */
  databasePath: string;
  verifier: VerifierConfig;
  /** How long shutdown waits for in-flight calls, in ms. */
  shutdownGraceMs: number;
}

export function loadServiceConfig(env: Readonly<Record<string, string | undefined>>, identity: ServiceIdentity): ServiceConfig {
  const dataDir = readString(env, "DATA_DIR", "./data");
  return {
    port: readPort(env, `${identity.envPrefix}_PORT`, identity.defaultPort),
    host: readString(env, `${identity.envPrefix}_HOST`, "localhost"),
    databasePath: join(dataDir, `${identity.name}.db`),
    verifier: loadVerifierConfig(env, `${identity.envPrefix}_AUDIENCE`, identity.defaultAudience),
    shutdownGraceMs: 10_000,
  };
}
