import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type pg from "pg";
import type { EventStore } from "@coop/event-store";
import { throttledWarn } from "@coop/process";
import type { WorkerConfig } from "../config";
import type { WorkerMetrics } from "../http/metrics";
import { errorMessage, type Logger } from "../logger";
import type { ProjectionDefinition } from "../projections/types";
import type { Announcer } from "./announcer";
import { laneKey, readProjections } from "./checkpoints";
import { BATCH_JOB, CATCHUP_JOB, RETRY_PARKED_JOB, checkJobData, formatCheckpoint, queueName, type LaneJobData } from "./jobs";
import { laneNumbers } from "./lanes";
import { laneAdmission, LaneProjector, type JobOutcome } from "./projector";
import { TableAnalyzer } from "./table-analyzer";

export interface ProjectionRuntimeOptions {
  config: WorkerConfig;
  pool: pg.Pool;
  /** Opens (decrypts, upcasts) the events of jobs and reads the gaps. */
  eventStore: EventStore;
  /** The projections this process applies (all registered ones, or WORKER_PROJECTIONS). */
  projections: readonly ProjectionDefinition[];
  /** BullMQ duplicates it for each worker's blocking connection. */
  connection: Redis;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Says on Redis what each commit did (gateways wait on it; subscriptions push it). */
  announcer?: Announcer;
  /** How often the lanes consumed are matched with the projections' layouts (default 2 s). */
  syncIntervalMs?: number;
}

/**
 * The projectors of this process: one BullMQ worker per lane of each projection, one job at a
 * time. The lanes follow the projections' layouts in the database (a rebuild may change their
 * number), so this process consumes what the read models need, whatever its own configuration.
 */
export class ProjectionRuntime {
  private readonly workers = new Map<string, Worker<LaneJobData>>();
  private readonly projectors = new Map<string, LaneProjector>();
  private readonly analyzer: TableAnalyzer;
  /** Every lane's worker reports a Redis outage; one line per 10 s says it. */
  private readonly queueWarn: ReturnType<typeof throttledWarn>;
  private readonly warned = new Set<string>();
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly options: ProjectionRuntimeOptions) {
    this.queueWarn = throttledWarn((fields, message) => options.logger.warn(fields, message));
    this.analyzer = new TableAnalyzer(options.pool, options.logger);
    const admit = laneAdmission(options.pool.options.max ?? 10);
    for (const projection of options.projections) {
      this.projectors.set(
        projection.name,
        new LaneProjector(projection, {
          pool: options.pool,
          eventStore: options.eventStore,
          retryWindowMs: options.config.retryWindowMs,
          parkLimit: options.config.parkLimit,
          admit,
          stopping: () => this.stopping,
          onCommitted: options.announcer ? (commit) => options.announcer!.laneCommitted(projection, commit) : undefined,
          onRetry: (attempt, error, infrastructure) => {
            options.metrics.jobFailures.inc({ projection: projection.name });
            const log = options.logger.child({ projection: projection.name });
            // Never the event's data: only the error (a database's message names columns, not values of ours).
            log.warn({ attempt, infrastructure, err: errorMessage(error) }, infrastructure ? "database unavailable; waiting for it" : "projection failed; retrying");
          },
        }),
      );
    }
  }

  /** The lanes this process consumes now, as `projection/lane`. */
  get lanes(): string[] {
    return [...this.workers.keys()];
  }

  start(): void {
    this.sync();
    this.syncTimer = setInterval(() => this.sync(), this.options.syncIntervalMs ?? 2_000);
  }

  /** Stops taking jobs; waits for the jobs in hand to finish (their transactions commit or roll back). */
  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.syncTimer);
    await this.syncing;
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    this.workers.clear();
    await this.analyzer.idle();
  }

  private sync(): void {
    if (this.syncing || this.stopping) return;
    this.syncing = this.syncWorkers()
      .catch((error: unknown) => this.options.logger.debug({ err: errorMessage(error) }, "lanes not matched with the layouts this time (database unavailable?)"))
      .finally(() => (this.syncing = null));
  }

  /** A worker for every lane of every projection this process applies; none for lanes that are gone. */
  private async syncWorkers(): Promise<void> {
    const rows = await readProjections(this.options.pool);
    const wanted = new Set<string>();
    for (const projection of this.options.projections) {
      const row = rows.find((r) => r.name === projection.name);
      if (!row) continue;
      for (const lane of laneNumbers(row.lanes)) {
        const key = laneKey(projection.name, lane);
        wanted.add(key);
        if (!this.workers.has(key) && !this.stopping) this.workers.set(key, this.startWorker(projection, lane));
      }
    }
    for (const [key, worker] of this.workers) {
      if (wanted.has(key)) continue;
      this.workers.delete(key);
      await worker.close();
    }
  }

  private startWorker(projection: ProjectionDefinition, lane: number): Worker<LaneJobData> {
    const { config, connection, logger } = this.options;
    const log = logger.child({ projection: projection.name, lane });
    const projector = this.projectors.get(projection.name)!;
    // A failed job keeps its reason in Redis for a while: never a value PostgreSQL quoted (it may be personal).
    const processor = (job: Job<LaneJobData>) =>
      this.handle(projector, lane, job, log).catch((error: unknown) => {
        throw new Error(errorMessage(error));
      });
    const worker = new Worker<LaneJobData>(queueName(projection.name, lane), processor, {
      connection,
      prefix: config.queuePrefix,
      concurrency: 1,
      lockDuration: config.jobLockMs,
      stalledInterval: Math.max(500, Math.floor(config.jobLockMs / 2)),
      // A job stalls when its process dies; re-running it is harmless (checkpoints), and failing
      // it for stalling would lose it for no fault of its own.
      maxStalledCount: 1_000_000,
      autorun: true,
    });
    worker.on("error", (error) => this.queueWarn({ projection: projection.name, lane, err: errorMessage(error) }, "queue worker error (Redis unavailable?)"));
    worker.on("failed", (job, error) => {
      if (job) log.warn({ jobId: job.id, err: errorMessage(error) }, "job failed (its events are caught up from the event store)");
    });
    return worker;
  }

  private async handle(projector: LaneProjector, lane: number, job: Job<LaneJobData>, log: Logger): Promise<unknown> {
    const name = projector.projection.name;
    const { metrics } = this.options;
    // Every job we add has a name; BullMQ reads a job whose hash is gone as no name and data {}.
    if (job.name === undefined && Object.keys(job.data ?? {}).length === 0) {
      // The job's hash vanished from Redis (keys deleted or lost while its id was still queued):
      // a lost job, not a wrong one. The next job's `prev`, or the publisher's catch-up, makes the
      // lane read the gap from the event store.
      log.warn({ jobId: job.id }, "a job's data is gone from Redis; skipped (the lane catches up from the event store)");
      return { outcome: "vanished", applied: 0 };
    }
    const started = performance.now();
    if (job.name === RETRY_PARKED_JOB) {
      const result = await projector.retryParked(lane);
      metrics.eventsApplied.inc({ projection: name }, result.applied);
      if (result.applied > 0 || result.unparked > 0) log.info({ ...result }, "parked streams retried");
      return result;
    }
    if (job.name !== BATCH_JOB && job.name !== CATCHUP_JOB) {
      log.error({ jobId: job.id, name: job.name }, "unknown job name: dropped");
      return { outcome: "unknown-job" };
    }
    const data = checkJobData(job.data);
    const outcome = await projector.process(data, lane);
    const seconds = (performance.now() - started) / 1000;
    metrics.batchDuration.observe({ projection: name }, seconds);
    metrics.batchSize.observe({ projection: name }, outcome.applied);
    metrics.eventsApplied.inc({ projection: name }, outcome.applied);
    if (outcome.applied > 0) this.analyzer.applied(projector.projection, outcome.applied);
    this.report(outcome, job, log, seconds);
    return { outcome: outcome.kind, applied: outcome.applied };
  }

  private report(outcome: JobOutcome, job: Job<LaneJobData>, log: Logger, seconds: number): void {
    const name = `${job.queueName}`;
    switch (outcome.kind) {
      case "not-mine":
        if (!this.warned.has(name)) {
          this.warned.add(name);
          log.warn({ reason: outcome.reason }, "a job this process must not apply: left to the lanes' owners (a rolling deploy, or a rebuild changing lanes)");
        }
        return;
      case "stopped":
        log.error({ err: outcome.error }, "projection stopped (ERROR): it retries by itself now and then; `pnpm projections resume NAME` once the cause is fixed");
        return;
      default: {
        const parked = "parked" in outcome ? outcome.parked : 0;
        const level = outcome.kind === "caught-up" || parked > 0 ? "info" : "debug";
        log[level](
          {
            jobId: job.id,
            outcome: outcome.kind,
            applied: outcome.applied,
            parked,
            checkpoint: "checkpoint" in outcome ? formatCheckpoint(outcome.checkpoint) : undefined,
            ms: Math.round(seconds * 1000),
          },
          parked > 0 ? "projection job done; streams parked (see `pnpm projections dead-letters`)" : "projection job done",
        );
      }
    }
  }
}
