import { ConfigError, loadConfig, wholeNumberFromEnv, type Config, type Env, type LoadConfigOptions } from "@coop/config";
import { REBUILD_CHUNK } from "./runtime/rebuild";

/** A test-only fault: the named projection throws on any event whose data field equals the value. */
export interface FaultRule {
  projection: string;
  field: string;
  value: string;
}

export interface WorkerConfig extends Config {
  /**
   * How long a BullMQ job lock lasts without renewal. A job of a killed process is handed to
   * another process after at most about this long plus half of it (the stalled check); its lane
   * waits meanwhile, so it is much shorter than BullMQ's 30 s default.
   */
  jobLockMs: number;
  /** Events read per publisher batch (at most one job per lane per batch). */
  publisherBatchSize: number;
  /** PROJECTION_LANES: lanes per projection; another number makes the active publisher rebuild it. */
  lanes: number;
  /** PROJECTION_RETRY_WINDOW_MS: how long a failing event is retried before its stream is parked. */
  retryWindowMs: number;
  /** PROJECTION_PARK_LIMIT: more parked streams than this in a projection stop it (ERROR). */
  parkLimit: number;
  /** PROJECTION_PARK_RETRY_MS: how often parked streams are retried by themselves. */
  parkRetryMs: number;
  /** PROJECTION_ERROR_RETRY_MS: how long a projection stays in ERROR before it is tried again. */
  errorRetryMs: number;
  /** WORKER_LEASE_MS: how long the publisher's (and a rebuild's) lease lasts without renewal. */
  leaseMs: number;
  /** WORKER_HEARTBEAT_MS: how often this process says it is alive. */
  heartbeatMs: number;
  /** WORKER_PROJECTIONS: the projections this process applies (default all). */
  projectionNames: readonly string[] | null;
  /** WORKER_PUBLISHER=off keeps this process out of the publisher role (it never takes the lease). */
  publisher: boolean;
  /** Events per transaction while `projections rebuild` replays the store (short transactions keep
   * the event store's watermark moving for every other reader). */
  rebuildChunk: number;
  /** WORKER_DB_POOL: connections to PostgreSQL at most (default: one per lane consumed, plus 6, up to 32). */
  poolSize: number | null;
  /** COOP_FAULT_INJECTION, parsed: for tests only, never set in production. */
  faults: FaultRule[];
  /** COOP_APPLY_AUDIT (TEST ONLY): a table in which projections record what they applied. */
  applyAuditTable: string | null;
}

/**
 * COOP_FAULT_INJECTION (TEST ONLY): `projection:field=value[;projection:field=value...]`, e.g.
 * `payment-analytics:transactionId=tx-poison` makes payment-analytics fail on every event whose
 * data.transactionId is "tx-poison". Used by the tests to prove that one failing projection
 * stops alone and resumes once the fault is gone.
 */
export function parseFaults(raw: string | undefined): FaultRule[] {
  if (!raw || !raw.trim()) return [];
  return raw.split(";").map((part) => {
    const match = /^\s*([a-z0-9-]+):([A-Za-z0-9_]+)=(.*?)\s*$/.exec(part);
    if (!match) throw new Error(`COOP_FAULT_INJECTION: expected "projection:field=value", got "${part}"`);
    return { projection: match[1]!, field: match[2]!, value: match[3]! };
  });
}

/** WORKER_PROJECTIONS: a comma-separated list of projection names, `none` (a publisher only), or unset for all. */
function projectionNames(raw: string | undefined): readonly string[] | null {
  if (raw === undefined || raw.trim() === "") return null;
  if (raw.trim().toLowerCase() === "none") return [];
  const names = raw.split(",").map((n) => n.trim()).filter((n) => n !== "");
  for (const name of names) if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new ConfigError(`WORKER_PROJECTIONS holds "${name}", which is not a projection name`);
  return names;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["on", "true", "1", "yes"].includes(raw)) return true;
  if (["off", "false", "0", "no"].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
}

export function loadWorkerConfig(env: Env = process.env, options: LoadConfigOptions = {}): WorkerConfig {
  const config = readWorkerConfig(env, options);
  if (config.projectionNames?.length === 0 && !config.publisher) {
    throw new ConfigError("WORKER_PROJECTIONS=none with WORKER_PUBLISHER=off leaves this process nothing to do");
  }
  return config;
}

function readWorkerConfig(env: Env, options: LoadConfigOptions): WorkerConfig {
  return {
    ...loadConfig(env, options),
    jobLockMs: wholeNumberFromEnv(env, "WORKER_JOB_LOCK_MS", 4_000, 1_000, 600_000),
    publisherBatchSize: wholeNumberFromEnv(env, "WORKER_PUBLISHER_BATCH", 1_000, 1, 10_000),
    lanes: wholeNumberFromEnv(env, "PROJECTION_LANES", 4, 1, 64),
    retryWindowMs: wholeNumberFromEnv(env, "PROJECTION_RETRY_WINDOW_MS", 60_000, 0, 86_400_000),
    parkLimit: wholeNumberFromEnv(env, "PROJECTION_PARK_LIMIT", 10, 0, 1_000_000),
    parkRetryMs: wholeNumberFromEnv(env, "PROJECTION_PARK_RETRY_MS", 30_000, 100, 86_400_000),
    errorRetryMs: wholeNumberFromEnv(env, "PROJECTION_ERROR_RETRY_MS", 30_000, 100, 86_400_000),
    leaseMs: wholeNumberFromEnv(env, "WORKER_LEASE_MS", 5_000, 500, 600_000),
    heartbeatMs: wholeNumberFromEnv(env, "WORKER_HEARTBEAT_MS", 2_000, 100, 600_000),
    projectionNames: projectionNames(env.WORKER_PROJECTIONS),
    publisher: onOff(env, "WORKER_PUBLISHER", true),
    rebuildChunk: wholeNumberFromEnv(env, "WORKER_REBUILD_CHUNK", REBUILD_CHUNK, 1, 100_000),
    poolSize: env.WORKER_DB_POOL?.trim() ? wholeNumberFromEnv(env, "WORKER_DB_POOL", 0, 4, 200) : null,
    faults: parseFaults(env.COOP_FAULT_INJECTION),
    applyAuditTable: env.COOP_APPLY_AUDIT?.trim() || null,
  };
}
