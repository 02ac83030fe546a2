import { setTimeout as sleep } from "node:timers/promises";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type pg from "pg";
import { eventsAppendedChannel } from "@coop/config";
import { compareCheckpoints, type Checkpoint, type EventStore, type RecordedEvent } from "@coop/event-store";
import type { WorkerMetrics } from "../http/metrics";
import { errorMessage, type Logger } from "../logger";
import { wants, type ProjectionDefinition } from "../projections/types";
import {
  isActive,
  laneKey,
  readLanes,
  readProjections,
  readPublisher,
  savePublished,
  setProjectionRunning,
  type LaneRow,
  type ProjectionRow,
  type PublishedLane,
  type PublisherState,
} from "../runtime/checkpoints";
import { BATCH_JOB, JOB_OPTIONS, batchJobId, checkpointOf, formatCheckpoint, toJobEvent, type JobEvent, type LaneJobData } from "../runtime/jobs";
import { laneNumbers, laneOf } from "../runtime/lanes";
import { Lease, PUBLISHER_LEASE } from "../runtime/lease";
import { assertGlobalConcurrency, enqueueCatchUp, enqueueParkedRetry, pendingJobs, type LaneQueues } from "../runtime/queues";

export interface PublisherOptions {
  pool: pg.Pool;
  eventStore: EventStore;
  projections: readonly ProjectionDefinition[];
  queues: LaneQueues;
  /** A connection of its own: a subscribed ioredis connection can do nothing else. */
  subscriber: Redis;
  queuePrefix: string;
  batchSize: number;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Unique per process: the holder name of the publisher's lease. */
  holder: string;
  /** How long the publisher's lease lasts without renewal; renewed every fifth of it. */
  leaseMs: number;
  /** A stopped (ERROR) projection is set RUNNING again after this long, to see whether its fault passed. */
  errorRetryMs: number;
  /** Parked streams are retried this often. */
  parkRetryMs: number;
  /** After the publisher's row commits (gateways wait on it for read-your-writes). */
  onSaved?: (state: PublisherState) => void;
  /** Called on every reconcile, for the work that the active publisher does once for all (rebuilds). */
  onReconcile?: (state: { projections: readonly ProjectionRow[]; lanes: readonly LaneRow[]; checkpoint: Checkpoint }) => Promise<void>;
  /** Timings; the defaults are the design's (tests may shorten them). */
  pollIntervalMs?: number;
  reconcileIntervalMs?: number;
}

/** After a nudge (or a non-empty read), keep re-reading this long: the watermark may lag behind. */
const BURST_MS = 30;
const BURST_STEP_MS = 2;

/**
 * While a lane queue still has a job waiting (its projector is busy with the one before), a new
 * batch would only queue behind it: hold the events back, up to this long, so that they go out as
 * one bigger job when the projector is free. Idle projectors get each event at once; busy ones get
 * batches sized to their pace, instead of a job per commit.
 */
const MAX_HOLD_MS = 20;
const HOLD_STEP_MS = 2;

/**
 * A publisher this far behind the readable head (in positions) does not carry the backlog through
 * Redis: it hands every lane a catch-up job and moves on; each lane reads its own events from the
 * store in large chunks.
 */
const BACKLOG_POSITIONS = 20_000n;

interface Layout {
  status: ProjectionRow["status"];
  lanes: number;
}

/**
 * Moves events from the event store (the outbox) to the lane queues of the projections. Exactly
 * one publisher is active across all worker processes: the holder of a lease that it renews; one
 * that stops renewing (dead, frozen, cut off) loses it, and another takes over.
 */
export class Publisher {
  private readonly lease: Lease;
  private readonly log: Logger;
  private leader = false;
  private stopping = false;
  private checkpoint: Checkpoint | null = null;
  private layouts = new Map<string, Layout>();
  /** The last event handed to each lane (`projection/lane`): the `prev` of its next job. */
  private readonly lastEnqueued = new Map<string, Checkpoint>();
  private lastParkedRetry = 0;
  /** Projections set RUNNING again by the last round: their parked streams are retried at once. */
  private readonly resumed = new Set<string>();
  private pumping: Promise<void> | null = null;
  private again = false;
  private burstUntil = 0;
  private electionTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | null = null;
  private readonly channel: string;
  private readonly onMessage = (channel: string) => {
    if (channel === this.channel) this.nudge();
  };

  constructor(private readonly options: PublisherOptions) {
    this.log = options.logger.child({ component: "publisher" });
    this.channel = eventsAppendedChannel(options.queuePrefix);
    this.lease = new Lease(options.pool, PUBLISHER_LEASE, options.holder, options.leaseMs);
  }

  get isActive(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    this.options.subscriber.on("message", this.onMessage);
    // Subscribes again by itself after a reconnect (ioredis autoResubscribe).
    this.options.subscriber.subscribe(this.channel).catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, "could not subscribe to nudges yet (polling meanwhile)"));
    this.scheduleElection(0);
  }

  /** Stops publishing, waits for the batch in hand, gives the lease up. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.electionTimer);
    this.demote("shutting down", false);
    await this.pumping;
    await this.reconciling;
    this.options.subscriber.off("message", this.onMessage);
    await this.options.subscriber.unsubscribe(this.channel).catch(() => undefined);
    await this.lease.release().catch(() => undefined);
  }

  /** A commit happened somewhere: read now, and keep reading briefly. */
  nudge(): void {
    if (!this.leader) return;
    this.burstUntil = Date.now() + BURST_MS;
    this.schedule();
  }

  private scheduleElection(delay = Math.max(200, Math.floor(this.options.leaseMs / 5))): void {
    if (this.stopping) return;
    this.electionTimer = setTimeout(() => void this.election(), delay);
  }

  /** Takes or renews the lease; one renewal missed past its expiry and the role is another's. */
  private async election(): Promise<void> {
    try {
      const held = await this.lease.acquire();
      if (held && !this.leader) await this.promote();
      else if (!held && this.leader) this.demote("the publisher lease is held by another process");
    } catch (error) {
      // Without the database the lease cannot be renewed: stop publishing before it may expire.
      if (this.leader) this.demote(`the publisher lease could not be renewed: ${errorMessage(error)}`);
      else this.log.debug({ err: errorMessage(error) }, "publisher election failed; retrying");
    } finally {
      this.scheduleElection();
    }
  }

  private async promote(): Promise<void> {
    if (this.stopping) return;
    const state = await readPublisher(this.options.pool);
    this.checkpoint = state.checkpoint;
    this.lastEnqueued.clear();
    for (const [key, at] of state.published) this.lastEnqueued.set(key, at);
    await this.refresh();
    if (this.stopping) return;
    this.leader = true;
    this.lastParkedRetry = Date.now(); // parked streams are retried at a slow pace, not at once
    this.options.metrics.publisherActive.set(1);
    this.log.info({ checkpoint: formatCheckpoint(this.checkpoint) }, "publisher active (holds the lease)");
    // The slow poll is the safety net for lost nudges; the nudge is what makes latency low.
    this.pollTimer = setInterval(() => this.schedule(), this.options.pollIntervalMs ?? 500);
    this.reconcileTimer = setInterval(() => this.startReconcile(), this.options.reconcileIntervalMs ?? 1_000);
    this.startReconcile();
    this.schedule();
  }

  private demote(reason: string, warn = true): void {
    clearInterval(this.pollTimer);
    clearInterval(this.reconcileTimer);
    if (!this.leader) return;
    this.leader = false;
    this.checkpoint = null;
    this.options.metrics.publisherActive.set(0);
    if (warn) this.log.warn({ reason }, "publisher inactive");
    else this.log.info({ reason }, "publisher inactive");
  }

  /**
   * Reads the projections' states and layouts. A projection whose layout changed (a rebuild with
   * another number of lanes) continues from what the database says was handed to its new lanes.
   */
  private async refresh(): Promise<{ projections: ProjectionRow[]; lanes: LaneRow[] }> {
    const [rows, lanes] = await Promise.all([readProjections(this.options.pool), readLanes(this.options.pool)]);
    const changed = rows.filter((row) => this.layouts.has(row.name) && this.layouts.get(row.name)!.lanes !== row.lanes);
    if (changed.length > 0) {
      const state = await readPublisher(this.options.pool);
      for (const row of changed) {
        for (const key of [...this.lastEnqueued.keys()]) if (key.startsWith(`${row.name}/`)) this.lastEnqueued.delete(key);
        for (const [key, at] of state.published) if (key.startsWith(`${row.name}/`)) this.lastEnqueued.set(key, at);
      }
    }
    this.layouts = new Map(rows.map((row) => [row.name, { status: row.status, lanes: row.lanes }]));
    return { projections: rows, lanes };
  }

  /** Single flight: a trigger during a pump makes the pump go round once more. */
  private schedule(): void {
    if (!this.leader || this.stopping) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
    });
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      try {
        let heldSince = 0;
        while (this.leader && !this.stopping) {
          if (await this.projectorsBusy(heldSince)) {
            heldSince ||= Date.now();
            await sleep(HOLD_STEP_MS);
            continue;
          }
          heldSince = 0;
          const published = await this.publishBatch();
          if (published > 0) {
            this.burstUntil = Date.now() + BURST_MS;
            continue;
          }
          if (Date.now() >= this.burstUntil) break;
          await sleep(BURST_STEP_MS);
        }
      } catch (error) {
        // The checkpoint did not move: the next poll retries the same batch.
        this.log.warn({ err: errorMessage(error) }, "publishing failed; retrying on the next poll");
        return;
      }
    } while (this.again && this.leader && !this.stopping);
  }

  /**
   * True while some lane queue has a job waiting, for at most MAX_HOLD_MS in a row. Asked every
   * few milliseconds under load, so it is one pipelined LLEN per queue (O(1) each), not BullMQ's
   * counting script.
   */
  private async projectorsBusy(heldSince: number): Promise<boolean> {
    if (heldSince && Date.now() - heldSince >= MAX_HOLD_MS) return false;
    const queues = this.activeQueues();
    if (queues.length === 0) return false;
    const client = await queues[0]!.client;
    const pipeline = client.pipeline();
    for (const queue of queues) pipeline.llen(queue.keys.wait!);
    const replies = (await pipeline.exec()) ?? [];
    return replies.some(([error, length]) => !error && Number(length) > 0);
  }

  private activeQueues(): Queue[] {
    const queues: Queue[] = [];
    for (const p of this.options.projections) {
      const layout = this.layouts.get(p.name);
      if (layout && isActive(layout.status)) for (const lane of laneNumbers(layout.lanes)) queues.push(this.options.queues.get(p.name, lane));
    }
    return queues;
  }

  /** Reads one batch and hands each projection's lanes their events; returns the number of events. */
  private async publishBatch(): Promise<number> {
    const prev = this.checkpoint;
    if (!prev) return 0;
    const events = await this.options.eventStore.readAll(prev, this.options.batchSize, { raw: true, lean: true });
    if (events.length === 0) return 0;
    if (events.length === this.options.batchSize && (await this.jumpBacklog(events))) return events.length;
    const last = checkpointOf(events[events.length - 1]!);
    const jobId = batchJobId(last);
    const adds: Promise<unknown>[] = [];
    const published: PublishedLane[] = [];
    const layouts = new Map<string, number>();
    for (const p of this.options.projections) {
      const layout = this.layouts.get(p.name);
      if (!layout) continue; // not in the database yet: the runtime creates it
      layouts.set(p.name, layout.lanes);
      if (!isActive(layout.status)) {
        // A stopped projection gets no jobs (Redis stays bounded): its lanes owe these events, and
        // it catches up from the event store when it runs again.
        for (const lane of laneNumbers(layout.lanes)) published.push({ projection: p.name, lane, last });
        continue;
      }
      const byLane = new Map<number, JobEvent[]>();
      for (const e of events) {
        if (!wants(p, e)) continue;
        const lane = laneOf(e.streamHash, layout.lanes);
        let list = byLane.get(lane);
        if (!list) byLane.set(lane, (list = []));
        list.push(toJobEvent(e));
      }
      for (const [lane, laneEvents] of byLane) {
        const key = laneKey(p.name, lane);
        const data: LaneJobData = { lanes: layout.lanes, prev: this.lastEnqueued.get(key) ?? prev, last, events: laneEvents };
        adds.push(this.options.queues.get(p.name, lane).add(BATCH_JOB, data, { ...JOB_OPTIONS, jobId }));
        published.push({ projection: p.name, lane, last });
      }
    }
    await Promise.all(adds);
    // After the enqueue: a crash in between re-enqueues the batch, which projectors skip.
    const saved = await savePublished(this.options.pool, last, published, layouts);
    if (saved) this.options.onSaved?.(saved);
    for (const lane of published) this.lastEnqueued.set(laneKey(lane.projection, lane.lane), last);
    this.checkpoint = last;
    this.options.metrics.eventsPublished.inc(events.length);
    this.log.debug({ jobId, events: events.length, lanes: published.length, correlationIds: firstCorrelationIds(events) }, "batch published");
    return events.length;
  }

  /**
   * Far behind the readable head, the backlog is not carried through Redis: every lane gets a
   * catch-up job to the head and reads its own events from the store. True if it jumped.
   */
  private async jumpBacklog(batch: readonly RecordedEvent[]): Promise<boolean> {
    const head = await this.options.eventStore.readableHead();
    const last = batch[batch.length - 1]!;
    if (!head || BigInt(head.position) - BigInt(last.position) < BACKLOG_POSITIONS) return false;
    const published: PublishedLane[] = [];
    const layouts = new Map<string, number>();
    const adds: Promise<unknown>[] = [];
    for (const p of this.options.projections) {
      const layout = this.layouts.get(p.name);
      if (!layout) continue;
      layouts.set(p.name, layout.lanes);
      for (const lane of laneNumbers(layout.lanes)) {
        published.push({ projection: p.name, lane, last: head });
        if (isActive(layout.status)) adds.push(enqueueCatchUp(this.options.queues.get(p.name, lane), layout.lanes, this.checkpoint!, head));
      }
    }
    await Promise.all(adds);
    const saved = await savePublished(this.options.pool, head, published, layouts);
    if (saved) this.options.onSaved?.(saved);
    for (const lane of published) this.lastEnqueued.set(laneKey(lane.projection, lane.lane), head);
    this.log.info({ from: formatCheckpoint(this.checkpoint!), to: formatCheckpoint(head) }, "far behind the event store: lanes catch up from it directly");
    this.checkpoint = head;
    return true;
  }

  private startReconcile(): void {
    if (!this.leader || this.reconciling || this.stopping) return;
    this.reconciling = this.reconcile().finally(() => {
      this.reconciling = null;
    });
  }

  /**
   * Every second, by the active publisher: re-asserts global concurrency (lost if Redis lost its
   * keys); gives a lane that is behind with nothing queued a catch-up job (a job lost with Redis, a
   * projection that runs again); retries parked streams now and then; sets a stopped projection
   * running again after a while, to see whether its fault passed. This is how delivery heals after
   * Redis is flushed, a job was dropped, or a database fault passed.
   */
  private async reconcile(): Promise<void> {
    try {
      const { pool, queues, projections } = this.options;
      const { projections: rows, lanes } = await this.refresh();
      const checkpoint = this.checkpoint;
      if (!checkpoint) return;
      await assertGlobalConcurrency(this.activeQueues());
      const now = Date.now();
      const retryParked = now - this.lastParkedRetry >= this.options.parkRetryMs;
      if (retryParked) this.lastParkedRetry = now;
      for (const p of projections) {
        const row = rows.find((r) => r.name === p.name);
        if (!row) continue;
        if (row.status === "ERROR" && row.errorSince && now - row.errorSince.getTime() >= this.options.errorRetryMs) {
          await setProjectionRunning(pool, p.name, true);
          this.resumed.add(p.name);
          this.log.warn({ projection: p.name, lastError: row.lastError }, "projection stopped by an error: trying it again (it stops again if the fault is still there)");
          continue; // its lanes catch up on the next round, with the status refreshed
        }
        if (!isActive(row.status)) continue;
        // A fault across many streams parked some before it stopped the projection: once it runs
        // again, they are tried again with everything else, not at the slow pace of poison events.
        const retryNow = retryParked || this.resumed.delete(p.name);
        for (const lane of lanes.filter((l) => l.projection === p.name)) {
          const queue = queues.get(p.name, lane.lane);
          const handed = this.lastEnqueued.get(laneKey(p.name, lane.lane));
          const behind = handed !== undefined && compareCheckpoints(lane.checkpoint, handed) < 0;
          if (behind && (await pendingJobs(queue)) === 0 && (await enqueueCatchUp(queue, row.lanes, lane.checkpoint, checkpoint))) {
            this.log.info(
              { projection: p.name, lane: lane.lane, from: formatCheckpoint(lane.checkpoint), to: formatCheckpoint(checkpoint) },
              "lane behind with an empty queue: catch-up job enqueued",
            );
          }
          if (retryNow && lane.parkedStreams > 0) await enqueueParkedRetry(queue, row.lanes);
        }
      }
      await this.options.onReconcile?.({ projections: rows, lanes, checkpoint });
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, "reconcile failed; retrying");
    }
  }
}

function firstCorrelationIds(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    if (typeof e.metadata?.correlationId === "string") ids.add(e.metadata.correlationId);
    if (ids.size >= 5) break;
  }
  return [...ids];
}
