import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import type pg from "pg";
import { compareCheckpoints, type Checkpoint, type EventStore, type RecordedEvent } from "@coop/event-store";
import { describeEvent, streamKey } from "../projections/fold";
import { liveTables, type ProjectionDefinition, type TableNames } from "../projections/types";
import { advanceLane, beginAndLockLane, isActive, markProjectionError, type LockedLane, type ProjectionStatus } from "./checkpoints";
import {
  countParkedStreams,
  deleteLetter,
  lettersOfLane,
  parkStream,
  parkedStreamsOfLane,
  queueBehindParked,
  recordRetryFailure,
  recordSkip,
  type LetterRow,
  type StreamFailure,
} from "./dead-letters";
import { isInfrastructureError, redactValues } from "./errors";
import { checkpointOf, formatCheckpoint, fromJobEvent, type LaneJobData } from "./jobs";

/** Events read per transaction when a lane catches up from the event store. */
export const CATCH_UP_CHUNK = 5_000;

export type JobOutcome =
  /** The projection is ERROR or STOPPED: nothing applied, the job completes (resuming catches up). */
  | { kind: "inactive"; status: ProjectionStatus; applied: 0 }
  /** The read model is of a newer version than this process's code, or of another lane layout: left to others. */
  | { kind: "not-mine"; reason: string; applied: 0 }
  /** Everything in the job was already applied: a harmless duplicate. */
  | { kind: "duplicate"; applied: 0; checkpoint: Checkpoint }
  /** The job's events were applied (the part after the checkpoint), some streams maybe parked. */
  | { kind: "applied"; applied: number; parked: number; checkpoint: Checkpoint }
  /** The job started past the checkpoint (something was missed): caught up from the event store. */
  | { kind: "caught-up"; applied: number; parked: number; checkpoint: Checkpoint; transactions: number }
  /** Failures spanned more streams than PROJECTION_PARK_LIMIT: the projection stopped (ERROR). */
  | { kind: "stopped"; applied: 0; error: string };

export interface ProjectorOptions {
  pool: pg.Pool;
  /** Reads the gaps, and opens the events that jobs carry as stored (decrypted, upcast). */
  eventStore: EventStore;
  /** How long a failing job retries before its failing streams are parked (PROJECTION_RETRY_WINDOW_MS). */
  retryWindowMs: number;
  /** Parked streams above which the projection stops as ERROR instead (PROJECTION_PARK_LIMIT). */
  parkLimit: number;
  catchUpChunk?: number;
  /** True once the process is stopping: a job in its retry loop gives up (another process takes it). */
  stopping?: () => boolean;
  onRetry?: (attempt: number, error: unknown, infrastructure: boolean) => void;
  /** After each commit that moved a lane or applied events (never before the commit). */
  onCommitted?: (commit: LaneCommit) => void;
  /**
   * Runs a lane transaction when the process's pool can serve it (see `laneAdmission`): a lane
   * transaction may need a second connection (the event store's reads, the data keys) while it
   * holds its own.
   */
  admit?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * How many lane transactions a process runs at once for a pool of `poolSize` connections: each may
 * hold two, and two more are left for the publisher, heartbeats and leases. Without this bound,
 * more lanes than connections could each hold one and wait for another, forever.
 */
export function laneAdmission(poolSize: number): <T>(work: () => Promise<T>) => Promise<T> {
  const limit = pLimit(Math.max(1, Math.floor((poolSize - 2) / 2)));
  return (work) => limit(work);
}

/** What one committed transaction of a lane did. */
export interface LaneCommit {
  lane: number;
  /** The read model's layout the lane belongs to. */
  version: number;
  lanes: number;
  /** The lane's checkpoint after the commit (null: unchanged, parked events retried). */
  checkpoint: Checkpoint | null;
  /** The events applied, in log order. */
  events: readonly RecordedEvent[];
}

export interface RetryOutcome {
  /** Parked events applied. */
  applied: number;
  /** Streams whose every parked event applied: no longer parked. */
  unparked: number;
  /** Streams of the lane still parked. */
  stillParked: number;
  skipped: { position: string; eventType: string } | null;
  /** Why nothing was retried (the projection stopped, or not this process's version), or null. */
  notRetried: JobOutcome["kind"] | null;
}

/** One transaction's result: final, or progress (done when the job's last is reached). */
type Pass =
  | { outcome: JobOutcome; rollback?: boolean }
  | { outcome?: undefined; done: boolean; fromStore: boolean; applied: number; parked: number; checkpoint: Checkpoint; commit: LaneCommit };

/**
 * Applies the jobs of one projection, lane by lane, exactly once in effect. Each transaction starts
 * by locking the lane's row: the checkpoint read, the read-model writes, the dead letters and the
 * new checkpoint commit together or not at all. Events at or below the checkpoint are skipped, so
 * a duplicate job is harmless; a job that starts beyond the checkpoint means an earlier one was lost
 * (Redis flushed, a failed job) and the gap is read from the event store, the source of truth.
 *
 * A failing job retries in place (holding its lane, so nothing overtakes it) for the retry window;
 * a fault of the infrastructure (the database away) is waited out for as long as it lasts. After
 * the window, the job is applied stream by stream: a stream whose event fails is parked, with that
 * event and every later one of the stream, and the lane's other streams go on.
 */
export class LaneProjector {
  private readonly tables: TableNames;
  private readonly wantedTypes: string[];
  private readonly wantedStreams: string[];
  private readonly chunk: number;

  constructor(
    readonly projection: ProjectionDefinition,
    private readonly options: ProjectorOptions,
  ) {
    this.tables = liveTables(projection);
    this.wantedTypes = [...projection.handles];
    this.wantedStreams = [...(projection.followsStreams ?? [])];
    this.chunk = options.catchUpChunk ?? CATCH_UP_CHUNK;
  }

  async process(job: LaneJobData, lane: number): Promise<JobOutcome> {
    let firstFailure = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.run(job, lane, null);
      } catch (error) {
        if (this.options.stopping?.()) throw error;
        const infrastructure = isInfrastructureError(error);
        this.options.onRetry?.(attempt, error, infrastructure);
        if (!infrastructure) {
          const now = Date.now();
          firstFailure ||= now;
          if (now - firstFailure >= this.options.retryWindowMs) {
            return await this.run(job, lane, { firstFailedAt: new Date(firstFailure), attempts: attempt });
          }
        }
        await sleep(Math.min(infrastructure ? 2_000 : 5_000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  /** Passes until the job's last is reached: one, or several when catching up in chunks. */
  private async run(job: LaneJobData, lane: number, isolate: { firstFailedAt: Date; attempts: number } | null): Promise<JobOutcome> {
    let applied = 0;
    let parked = 0;
    let transactions = 0;
    for (;;) {
      const pass = await this.transaction((client) => this.pass(client, job, lane, isolate));
      transactions++;
      if (pass.outcome) {
        // Outside the lane's transaction: a rebuild's swap may hold the projection's row while it
        // waits for this lane, and must not wait on a transaction that waits on it.
        if (pass.outcome.kind === "stopped") await markProjectionError(this.options.pool, this.projection.name, pass.outcome.error);
        return pass.outcome;
      }
      applied += pass.applied;
      parked += pass.parked;
      this.options.onCommitted?.(pass.commit);
      if (pass.done) {
        return pass.fromStore || transactions > 1
          ? { kind: "caught-up", applied, parked, checkpoint: pass.checkpoint, transactions }
          : { kind: "applied", applied, parked, checkpoint: pass.checkpoint };
      }
    }
  }

  private async pass(client: pg.PoolClient, job: LaneJobData, lane: number, isolate: { firstFailedAt: Date; attempts: number } | null): Promise<Pass> {
    const locked = await beginAndLockLane(client, this.projection.name, lane);
    if (!locked) return { outcome: { kind: "not-mine", reason: `lane ${lane} does not exist`, applied: 0 } };
    const gate = this.gate(locked, job.lanes);
    if (gate) return { outcome: gate };
    const checkpoint = locked.lane.checkpoint;
    if (compareCheckpoints(job.last, checkpoint) <= 0) return { outcome: { kind: "duplicate", applied: 0, checkpoint } };

    let events: RecordedEvent[];
    let next: Checkpoint;
    let fromStore = false;
    if (compareCheckpoints(job.prev, checkpoint) <= 0) {
      const stored: RecordedEvent[] = [];
      for (const j of job.events) {
        const e = fromJobEvent(j);
        if (compareCheckpoints(e, checkpoint) <= 0) continue;
        if (compareCheckpoints(e, job.last) > 0) throw new Error(`${this.projection.name}: job carries ${describeEvent(e)} beyond its last ${formatCheckpoint(job.last)}`);
        stored.push(e);
      }
      events = await this.options.eventStore.open(stored);
      next = job.last;
    } else {
      fromStore = true;
      ({ events, next } = await this.readGap(checkpoint, job.last, lane, locked.projection.lanes));
    }
    assertStreamOrder(this.projection.name, events);

    // Events of parked streams wait behind their stream's failed event, in the dead letters.
    let parkedNow = 0;
    if (locked.lane.parkedStreams > 0 && events.length > 0) {
      const parked = await parkedStreamsOfLane(client, this.projection.name, lane);
      const waiting = events.filter((e) => parked.has(streamKey(e.tenantId, e.streamId)));
      if (waiting.length > 0) {
        await queueBehindParked(client, this.projection.name, lane, waiting);
        events = events.filter((e) => !parked.has(streamKey(e.tenantId, e.streamId)));
      }
    }

    let parkedStreams: number | null = null;
    if (isolate === null) {
      // The checkpoint first, the read model last, then the commit: rows that every lane of the
      // projection writes (a month's totals) are then locked for one round trip, not three.
      await advanceLane(client, this.projection.name, lane, next, events.length, null);
      if (events.length > 0) await this.projection.apply(client, events, this.tables);
    } else {
      const failures = await this.applyStreamByStream(client, events);
      if (failures.length > 0) {
        const total = (await countParkedStreams(client, this.projection.name)) + failures.length;
        if (total > this.options.parkLimit) {
          const error = `${total} streams failed at once (more than PROJECTION_PARK_LIMIT ${this.options.parkLimit}): not one poison event; stopped. Last error: ${redactValues(failures[0]!.error.message)}`;
          return { outcome: { kind: "stopped", applied: 0, error }, rollback: true };
        }
        for (const failure of failures) await parkStream(client, this.projection.name, lane, failure, isolate);
        parkedNow = failures.length;
        parkedStreams = locked.lane.parkedStreams + parkedNow;
        events = events.filter((e) => !failures.some((f) => f.events.includes(e)));
      }
      await advanceLane(client, this.projection.name, lane, next, events.length, parkedStreams);
    }
    await client.query("COMMIT");
    const commit: LaneCommit = { lane, version: locked.projection.version, lanes: locked.projection.lanes, checkpoint: next, events };
    return { done: compareCheckpoints(next, job.last) >= 0, fromStore, applied: events.length, parked: parkedNow, checkpoint: next, commit };
  }

  /**
   * Retries the parked streams of a lane (or one of them), each in stream order, under the lane's
   * lock: what applies leaves the dead letters, the first event that fails again stays first, with
   * its new error. With `skip`, the stream's failing event is first skipped (recorded with who and
   * why), then the rest retried.
   */
  retryParked(
    lane: number,
    options: { stream?: { tenantId: string; streamId: string }; skip?: { by: string; reason: string } } = {},
  ): Promise<RetryOutcome> {
    return this.options.admit ? this.options.admit(() => this.retryParkedNow(lane, options)) : this.retryParkedNow(lane, options);
  }

  private async retryParkedNow(lane: number, options: { stream?: { tenantId: string; streamId: string }; skip?: { by: string; reason: string } }): Promise<RetryOutcome> {
    const client = await this.options.pool.connect();
    let broken = false;
    try {
      const locked = await beginAndLockLane(client, this.projection.name, lane);
      if (!locked) throw new Error(`${this.projection.name} has no lane ${lane}`);
      const gate = this.gate(locked, locked.projection.lanes);
      if (gate) {
        await client.query("ROLLBACK");
        return { applied: 0, unparked: 0, stillParked: locked.lane.parkedStreams, skipped: null, notRetried: gate.kind };
      }
      let letters = await lettersOfLane(client, this.projection.name, lane, options.stream);
      let skipped: LetterRow | null = null;
      if (options.skip) {
        skipped = letters[0] ?? null;
        if (!skipped) throw new Error(`${this.projection.name}: that stream is not parked`);
        await recordSkip(client, this.projection.name, skipped, options.skip.by, options.skip.reason);
        letters = letters.slice(1);
      }
      const stored = await this.options.eventStore.readPositions(letters.map((l) => l.position));
      const byPosition = new Map(stored.map((e) => [e.position, e]));
      const byStream = new Map<string, LetterRow[]>();
      for (const letter of letters) {
        const key = streamKey(letter.tenantId, letter.streamId);
        byStream.set(key, [...(byStream.get(key) ?? []), letter]);
      }
      let applied = 0;
      let unparked = 0;
      const appliedEvents: RecordedEvent[] = [];
      for (const streamLetters of byStream.values()) {
        let failed = false;
        for (const letter of streamLetters) {
          const event = byPosition.get(letter.position);
          if (!event) throw new Error(`${this.projection.name}: parked event at position ${letter.position} is not in the event store`);
          await client.query("SAVEPOINT one_event");
          try {
            await this.projection.apply(client, [event], this.tables);
            await client.query("RELEASE SAVEPOINT one_event");
          } catch (error) {
            await client.query("ROLLBACK TO SAVEPOINT one_event");
            if (isInfrastructureError(error)) throw error;
            await recordRetryFailure(client, this.projection.name, letter, error instanceof Error ? error : new Error(String(error)));
            failed = true;
            break;
          }
          await deleteLetter(client, this.projection.name, letter);
          appliedEvents.push(event);
          applied++;
        }
        if (!failed) unparked++;
      }
      const stillParked = await countParkedStreams(client, this.projection.name, lane);
      await client.query(
        `UPDATE projection_lanes SET parked_streams = $3, events_processed = events_processed + $4,
                last_applied_at = CASE WHEN $4 > 0 THEN now() ELSE last_applied_at END, updated_at = now()
          WHERE projection = $1 AND lane = $2`,
        [this.projection.name, lane, stillParked, applied],
      );
      await client.query("COMMIT");
      if (applied > 0) {
        const { version, lanes } = locked.projection;
        this.options.onCommitted?.({ lane, version, lanes, checkpoint: null, events: appliedEvents });
      }
      return { applied, unparked, stillParked, skipped: skipped ? { position: skipped.position, eventType: skipped.eventType } : null, notRetried: null };
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Why this process must not apply the job, or null when it may. */
  private gate(locked: LockedLane, jobLanes: number): JobOutcome | null {
    const { projection } = locked;
    if (!isActive(projection.status)) return { kind: "inactive", status: projection.status, applied: 0 };
    if (projection.version > this.projection.version) {
      return { kind: "not-mine", reason: `the read model is of version ${projection.version}, this process runs version ${this.projection.version}`, applied: 0 };
    }
    if (projection.lanes !== jobLanes) return { kind: "not-mine", reason: `job of a ${jobLanes}-lane layout, the projection has ${projection.lanes}`, applied: 0 };
    return null;
  }

  /**
   * Each stream's events in a savepoint of its own, one event at a time: the first event that
   * fails ends its stream's part (that event and the stream's later ones are returned to be
   * parked); what applied before it stays applied.
   */
  private async applyStreamByStream(client: pg.PoolClient, events: readonly RecordedEvent[]): Promise<StreamFailure[]> {
    const byStream = new Map<string, RecordedEvent[]>();
    for (const e of events) {
      const key = streamKey(e.tenantId, e.streamId);
      byStream.set(key, [...(byStream.get(key) ?? []), e]);
    }
    const failures: StreamFailure[] = [];
    for (const streamEvents of byStream.values()) {
      for (let i = 0; i < streamEvents.length; i++) {
        await client.query("SAVEPOINT one_event");
        try {
          await this.projection.apply(client, [streamEvents[i]!], this.tables);
          await client.query("RELEASE SAVEPOINT one_event");
        } catch (error) {
          await client.query("ROLLBACK TO SAVEPOINT one_event");
          if (isInfrastructureError(error)) throw error;
          failures.push({ events: streamEvents.slice(i), error: error instanceof Error ? error : new Error(String(error)) });
          break;
        }
      }
    }
    return failures;
  }

  /** The lane's wanted events in (from, to], up to one chunk, and the checkpoint reached. */
  private async readGap(from: Checkpoint, to: Checkpoint, lane: number, lanes: number): Promise<{ events: RecordedEvent[]; next: Checkpoint }> {
    const read = await this.options.eventStore.readLane(from, to, { lane, lanes }, { types: this.wantedTypes, streamTypes: this.wantedStreams }, this.chunk);
    const next = read.length < this.chunk ? to : checkpointOf(read[read.length - 1]!);
    return { events: read, next };
  }

  /**
   * Runs `work` in a transaction that `work` itself begins (with the row lock, in one round trip)
   * and commits (with the checkpoint, in one round trip); a final outcome without a commit is
   * committed (or rolled back, if it was) here.
   */
  private transaction(work: (client: pg.PoolClient) => Promise<Pass>): Promise<Pass> {
    return this.options.admit ? this.options.admit(() => this.inTransaction(work)) : this.inTransaction(work);
  }

  private async inTransaction(work: (client: pg.PoolClient) => Promise<Pass>): Promise<Pass> {
    const client = await this.options.pool.connect();
    let broken = false;
    try {
      const result = await work(client);
      if (result.outcome) await client.query(result.rollback ? "ROLLBACK" : "COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true; // connection lost: do not return it to the pool
      }
      // A prepared statement whose table changed shape under it (a migration, then a rebuild):
      // a fresh connection prepares it again.
      if ((error as { code?: string }).code === "0A000") broken = true;
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
