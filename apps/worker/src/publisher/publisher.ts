import { setTimeout as sleep } from "node:timers/promises";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type pg from "pg";
import { eventsAppendedChannel } from "@coop/config";
import { compareCheckpoints, type Checkpoint, type EventStore, type RecordedEvent } from "@coop/event-store";
import type { WorkerMetrics } from "../http/metrics";
import { errorMessage, type Logger } from "../logger";
import type { ProjectionDefinition } from "../projections/types";
import { isActive, readProjections, readPublisherCheckpoint, savePublisherCheckpoint } from "../runtime/checkpoints";
import { BATCH_JOB, BATCH_JOB_OPTIONS, batchJobId, checkpointOf, formatCheckpoint, serializeEvent, type ProjectionJobData } from "../runtime/jobs";
import { assertGlobalConcurrency, enqueueCatchUp, pendingJobs, queueOf } from "../runtime/queues";
import { LeaderLock } from "./leader-lock";

export interface PublisherOptions {
  pool: pg.Pool;
  databaseUrl: string;
  eventStore: EventStore;
  projections: readonly ProjectionDefinition[];
  queues: ReadonlyMap<string, Queue>;
  /** A connection of its own: a subscribed ioredis connection can do nothing else. */
  subscriber: Redis;
  queuePrefix: string;
  batchSize: number;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Timings; the defaults are the design's (tests may shorten them). */
  electionIntervalMs?: number;
  pollIntervalMs?: number;
  reconcileIntervalMs?: number;
}

/** After a nudge (or a non-empty read), keep re-reading this long: the watermark may lag behind. */
const BURST_MS = 30;
const BURST_STEP_MS = 2;

/**
 * While a projection queue still has a job waiting (its projector is busy with the one before),
 * a new batch would only queue behind it: hold the events back, up to this long, so that they go
 * out as one bigger job when the projector is free. Idle projectors get each event at once; busy
 * ones get batches sized to their pace, instead of a job per commit.
 */
const MAX_HOLD_MS = 20;
const HOLD_STEP_MS = 2;

/**
 * Moves events from the event store (the outbox) to one BullMQ queue per projection. Exactly one
 * publisher is active across all worker processes: the holder of a PostgreSQL advisory lock; the
 * others retry every second and take over when the holder's connection goes away.
 */
export class Publisher {
  private readonly lock: LeaderLock;
  private readonly log: Logger;
  private leader = false;
  private stopping = false;
  private checkpoint: Checkpoint | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private burstUntil = 0;
  private electionTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling = false;
  private readonly onMessage = (channel: string) => {
    if (channel === this.channel) this.nudge();
  };
  private readonly channel: string;

  constructor(private readonly options: PublisherOptions) {
    this.log = options.logger.child({ component: "publisher" });
    this.channel = eventsAppendedChannel(options.queuePrefix);
    this.lock = new LeaderLock(options.databaseUrl, `coop-worker-publisher:${process.pid}`, this.log, (reason) => this.demote(reason));
  }

  get isActive(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    this.options.subscriber.on("message", this.onMessage);
    await this.options.subscriber.subscribe(this.channel);
    this.scheduleElection(0);
  }

  /** Stops publishing, waits for the batch in hand, releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.electionTimer);
    this.demote("shutting down", false);
    await this.pumping;
    while (this.reconciling) await sleep(10);
    this.options.subscriber.off("message", this.onMessage);
    await this.options.subscriber.unsubscribe(this.channel).catch(() => undefined);
    await this.lock.release();
  }

  /** A commit happened somewhere: read now, and keep reading briefly. */
  nudge(): void {
    if (!this.leader) return;
    this.burstUntil = Date.now() + BURST_MS;
    this.schedule();
  }

  private scheduleElection(delay = this.options.electionIntervalMs ?? 1_000): void {
    if (this.stopping) return;
    this.electionTimer = setTimeout(() => void this.election(), delay);
  }

  private async election(): Promise<void> {
    try {
      if (this.leader) {
        if (!(await this.lock.check())) this.demote("publisher lock lost");
      } else if (await this.lock.tryAcquire()) {
        await this.promote();
      }
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, "publisher election failed; retrying");
      if (!this.leader) await this.lock.release();
    } finally {
      this.scheduleElection();
    }
  }

  private async promote(): Promise<void> {
    if (this.stopping) return;
    this.checkpoint = await readPublisherCheckpoint(this.options.pool);
    if (this.stopping) return;
    this.leader = true;
    this.options.metrics.publisherActive.set(1);
    this.log.info({ checkpoint: formatCheckpoint(this.checkpoint) }, "publisher active (holds the lock)");
    const poll = this.options.pollIntervalMs ?? 500;
    // The slow poll is the safety net for lost nudges; the nudge is what makes latency low.
    this.pollTimer = setInterval(() => this.schedule(), poll);
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.options.reconcileIntervalMs ?? 1_000);
    void this.reconcile();
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
        this.log.error({ err: errorMessage(error) }, "publishing failed; retrying on the next poll");
        return;
      }
    } while (this.again && this.leader && !this.stopping);
  }

  /**
   * True while some projection queue has a job waiting, for at most MAX_HOLD_MS in a row. Asked
   * every few milliseconds under load, so it is one pipelined LLEN per queue (O(1) each), not
   * BullMQ's counting script.
   */
  private async projectorsBusy(heldSince: number): Promise<boolean> {
    if (heldSince && Date.now() - heldSince >= MAX_HOLD_MS) return false;
    const queues = [...this.options.queues.values()];
    const client = await queues[0]!.client;
    const pipeline = client.pipeline();
    for (const queue of queues) pipeline.llen(queue.keys.wait!);
    const replies = (await pipeline.exec()) ?? [];
    return replies.some(([error, length]) => !error && Number(length) > 0);
  }

  /** Reads one batch and hands it to every projection's queue; returns the number of events. */
  private async publishBatch(): Promise<number> {
    const prev = this.checkpoint;
    if (!prev) return 0;
    const events = await this.options.eventStore.readAll(prev, this.options.batchSize);
    if (events.length === 0) return 0;
    const last = checkpointOf(events[events.length - 1]!);
    const serialized = events.map(serializeEvent);
    const jobId = batchJobId(last);
    // Every projection gets a job even when none of its types is in the batch: the job moves its
    // checkpoint, so lag and "prev" stay exact.
    await Promise.all(
      this.options.projections.map((p) => {
        const handled = new Set<string>(p.handles);
        const data: ProjectionJobData = { prev, last, events: serialized.filter((e) => handled.has(e.type)) };
        return queueOf(this.options.queues, p.name).add(BATCH_JOB, data, { ...BATCH_JOB_OPTIONS, jobId });
      }),
    );
    // After the enqueue: a crash in between re-enqueues the batch, which projectors skip.
    await savePublisherCheckpoint(this.options.pool, last);
    this.checkpoint = last;
    this.options.metrics.eventsPublished.inc(events.length);
    this.log.debug({ jobId, events: events.length, correlationIds: firstCorrelationIds(events) }, "batch published");
    return events.length;
  }

  /**
   * Every second, by the active publisher: re-asserts global concurrency (lost if Redis lost its
   * keys), aligns each queue's pause with the projection's status, and gives a projection that is
   * behind with nothing queued a catch-up job. This is how delivery recovers after Redis is
   * flushed or a job was dropped.
   */
  private async reconcile(): Promise<void> {
    if (!this.leader || this.reconciling || this.stopping) return;
    this.reconciling = true;
    try {
      const { queues, pool, projections } = this.options;
      await assertGlobalConcurrency(queues);
      const rows = await readProjections(pool);
      for (const p of projections) {
        const row = rows.find((r) => r.name === p.name);
        const checkpoint = this.checkpoint;
        if (!row || !checkpoint) continue;
        const queue = queueOf(queues, p.name);
        const paused = await queue.isPaused();
        if (isActive(row.status) && paused) {
          this.log.warn({ projection: p.name }, "queue was paused although the projection is active: resuming it");
          await queue.resume();
        } else if (!isActive(row.status) && !paused) {
          await queue.pause();
        }
        if (isActive(row.status) && compareCheckpoints(row.checkpoint, checkpoint) < 0 && (await pendingJobs(queue)) === 0) {
          if (await enqueueCatchUp(queue, row.checkpoint, checkpoint)) {
            this.log.info(
              { projection: p.name, from: formatCheckpoint(row.checkpoint), to: formatCheckpoint(checkpoint) },
              "projection behind with an empty queue: catch-up job enqueued",
            );
          }
        }
      }
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, "reconcile failed; retrying");
    } finally {
      this.reconciling = false;
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
