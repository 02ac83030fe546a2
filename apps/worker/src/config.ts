import { loadConfig, wholeNumberFromEnv, type Config, type Env, type LoadConfigOptions } from "@coop/config";
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
   * another process after at most about this long plus the stalled-check interval; with global
   * concurrency 1 its queue waits meanwhile, so it is much shorter than BullMQ's 30 s default.
   */
  jobLockMs: number;
  /** Events read per publisher batch (one job per projection per batch). */
  publisherBatchSize: number;
  /** Events per transaction while `projections rebuild` replays the store (short transactions keep
   * the event store's watermark moving for every other reader). */
  rebuildChunk: number;
  /** COOP_FAULT_INJECTION, parsed: for tests only, never set in production. */
  faults: FaultRule[];
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

export function loadWorkerConfig(env: Env = process.env, options: LoadConfigOptions = {}): WorkerConfig {
  return {
    ...loadConfig(env, options),
    jobLockMs: wholeNumberFromEnv(env, "WORKER_JOB_LOCK_MS", 10_000, 1_000, 600_000),
    publisherBatchSize: wholeNumberFromEnv(env, "WORKER_PUBLISHER_BATCH", 1_000, 1, 10_000),
    rebuildChunk: wholeNumberFromEnv(env, "WORKER_REBUILD_CHUNK", REBUILD_CHUNK, 1, 100_000),
    faults: parseFaults(env.COOP_FAULT_INJECTION),
  };
}
