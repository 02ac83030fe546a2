import type pg from "pg";
import { compareCheckpoints, type Checkpoint, type EventStore, type RecordedEvent } from "@coop/event-store";
import type { FaultRule } from "../config";
import { describeEvent, streamKey } from "../projections/fold";
import { liveTables, type ProjectionDefinition, type TableNames } from "../projections/types";
import { advanceProjectionAndCommit, beginAndLockProjection, isActive, type ProjectionStatus } from "./checkpoints";
import { checkpointOf, formatCheckpoint, reviveEvent, type ProjectionJobData } from "./jobs";

/** Events read per transaction when a projector catches up from the event store. */
export const CATCH_UP_CHUNK = 5_000;

export type JobOutcome =
  /** The projection is ERROR or STOPPED: nothing applied, the job completes (resume catches up). */
  | { kind: "inactive"; status: ProjectionStatus; applied: 0 }
  /** Everything in the job was already applied: a harmless duplicate. */
  | { kind: "duplicate"; applied: 0; checkpoint: Checkpoint }
  /** The job's events were applied (the part after the checkpoint). */
  | { kind: "applied"; applied: number; checkpoint: Checkpoint }
  /** The job started past the checkpoint (something was missed): caught up from the event store. */
  | { kind: "caught-up"; applied: number; checkpoint: Checkpoint; transactions: number };

/** One transaction's result: a final outcome, or progress (done when the job's last is reached). */
type Pass =
  | { outcome: JobOutcome }
  | { outcome?: undefined; committed: true; done: boolean; fromStore: boolean; applied: number; checkpoint: Checkpoint };

export interface ProjectorOptions {
  pool: pg.Pool;
  eventStore: EventStore;
  faults?: readonly FaultRule[];
  catchUpChunk?: number;
}

/**
 * Applies a projection job, exactly once in effect. Everything happens in one transaction that
 * starts by locking the projection's row: the checkpoint read, the read-model writes and the new
 * checkpoint commit together or not at all. Events at or below the checkpoint are skipped, so a
 * duplicate or replayed job is harmless; a job that starts beyond the checkpoint means an earlier
 * one was lost (Redis flushed, a failed job) and the gap is read from the event store, which is
 * the source of truth.
 */
export class Projector {
  private readonly handled: ReadonlySet<string>;
  private readonly tables: TableNames;
  private readonly faults: readonly FaultRule[];
  private readonly chunk: number;

  constructor(
    readonly projection: ProjectionDefinition,
    private readonly options: ProjectorOptions,
  ) {
    this.handled = new Set(projection.handles);
    this.tables = liveTables(projection);
    this.faults = (options.faults ?? []).filter((f) => f.projection === projection.name);
    this.chunk = options.catchUpChunk ?? CATCH_UP_CHUNK;
  }

  async process(job: ProjectionJobData): Promise<JobOutcome> {
    let applied = 0;
    let transactions = 0;
    // One transaction per pass; only a catch-up of more than `chunk` events takes several passes,
    // each committing its own checkpoint, so no pass holds back the event store's watermark long.
    for (;;) {
      const pass = await this.transaction(async (client): Promise<Pass> => {
        const row = await beginAndLockProjection(client, this.projection.name);
        if (!isActive(row.status)) return { outcome: { kind: "inactive", status: row.status, applied: 0 } };
        const checkpoint = row.checkpoint;
        if (compareCheckpoints(job.last, checkpoint) <= 0) {
          return { outcome: { kind: "duplicate", applied: 0, checkpoint } };
        }
        let events: RecordedEvent[];
        let next: Checkpoint;
        let fromStore = false;
        if (compareCheckpoints(job.prev, checkpoint) <= 0) {
          events = job.events.map(reviveEvent).filter((e) => compareCheckpoints(e, checkpoint) > 0);
          for (const e of events) {
            if (!this.handled.has(e.type)) throw new Error(`${this.projection.name}: job carries ${describeEvent(e)}, a type it does not handle`);
            if (compareCheckpoints(e, job.last) > 0) throw new Error(`${this.projection.name}: job carries ${describeEvent(e)} beyond its last ${formatCheckpoint(job.last)}`);
          }
          next = job.last;
        } else {
          fromStore = true;
          ({ events, next } = await this.readGap(checkpoint, job.last));
        }
        this.checkFaults(events);
        assertStreamOrder(this.projection.name, events);
        await this.projection.apply(client, events, this.tables);
        await advanceProjectionAndCommit(client, this.projection.name, next, events.length);
        return { committed: true, done: compareCheckpoints(next, job.last) >= 0, fromStore, applied: events.length, checkpoint: next };
      });
      transactions++;
      if (pass.outcome) return pass.outcome;
      applied += pass.applied;
      if (pass.done) {
        return pass.fromStore || transactions > 1
          ? { kind: "caught-up", applied, checkpoint: pass.checkpoint, transactions }
          : { kind: "applied", applied, checkpoint: pass.checkpoint };
      }
    }
  }

  /** Handled events in (from, to], up to one chunk, and the checkpoint reached. */
  private async readGap(from: Checkpoint, to: Checkpoint): Promise<{ events: RecordedEvent[]; next: Checkpoint }> {
    const read = await this.options.eventStore.readAll(from, this.chunk);
    if (read.length === 0) {
      // `to` came from an earlier read of the store, and the watermark only moves forward.
      throw new Error(
        `${this.projection.name}: the event store has no readable event after ${formatCheckpoint(from)} although a job reaches ${formatCheckpoint(to)}`,
      );
    }
    const within = read.filter((e) => compareCheckpoints(e, to) <= 0);
    const reachedEnd = within.length < read.length || read.length < this.chunk;
    const next = reachedEnd ? to : checkpointOf(within[within.length - 1]!);
    return { events: within.filter((e) => this.handled.has(e.type)), next };
  }

  /** COOP_FAULT_INJECTION (tests only): fail on a chosen event, the way a buggy reducer would. */
  private checkFaults(events: readonly RecordedEvent[]): void {
    for (const fault of this.faults) {
      const hit = events.find((e) => {
        const value = (e.data as Record<string, unknown> | null)?.[fault.field];
        return value !== undefined && String(value) === fault.value;
      });
      if (hit) {
        throw new Error(`injected fault (COOP_FAULT_INJECTION, test only): ${this.projection.name} refuses ${describeEvent(hit)} with ${fault.field}=${fault.value}`);
      }
    }
  }

  /**
   * Runs `work` in a transaction that `work` itself begins (with the row lock, in one round trip)
   * and may commit (with the checkpoint, in one round trip); what it leaves open is committed here.
   */
  private async transaction(work: (client: pg.PoolClient) => Promise<Pass>): Promise<Pass> {
    const client = await this.options.pool.connect();
    let broken = false;
    try {
      const result = await work(client);
      if (!("committed" in result && result.committed)) await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true; // connection lost: do not return it to the pool
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/**
 * Within a batch, each stream's events must come in increasing stream version. This holds by
 * construction (log order); checking it is cheap and turns a delivery bug into a loud error.
 */
export function assertStreamOrder(projection: string, events: readonly RecordedEvent[]): void {
  const last = new Map<string, number>();
  for (const e of events) {
    const key = streamKey(e.tenantId, e.streamId);
    const previous = last.get(key);
    if (previous !== undefined && e.streamVersion <= previous) {
      throw new Error(`${projection}: ${describeEvent(e)} comes after version ${previous} of its stream (out of stream order)`);
    }
    last.set(key, e.streamVersion);
  }
}
