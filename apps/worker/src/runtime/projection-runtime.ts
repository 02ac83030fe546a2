import { UnrecoverableError, Worker, type Job, type Queue } from "bullmq";
import type { Redis } from "ioredis";
import type pg from "pg";
import type { EventStore } from "@coop/event-store";
import type { WorkerConfig } from "../config";
import type { WorkerMetrics } from "../http/metrics";
import { errorMessage, type Logger } from "../logger";
import type { ProjectionDefinition } from "../projections/types";
import { ensureProjectionRows, isActive, markProjectionError, readProjections } from "./checkpoints";
import { JOB_NAMES, checkJobData, formatCheckpoint, queueName, type ProjectionJobData } from "./jobs";
import { Projector } from "./projector";
import { recoverAbandonedRebuild } from "./rebuild";
import { TableAnalyzer } from "./table-analyzer";
import { assertGlobalConcurrency, queueOf, resumeProjection } from "./queues";

export interface ProjectionRuntimeOptions {
  config: WorkerConfig;
  pool: pg.Pool;
  eventStore: EventStore;
  projections: readonly ProjectionDefinition[];
  queues: ReadonlyMap<string, Queue>;
  /** BullMQ duplicates it for each worker's blocking connection. */
  connection: Redis;
  logger: Logger;
  metrics: WorkerMetrics;
}

/** The projectors of this process: one BullMQ worker per projection queue, one job at a time. */
export class ProjectionRuntime {
  private readonly workers: Worker[] = [];
  private readonly analyzer: TableAnalyzer;

  constructor(private readonly options: ProjectionRuntimeOptions) {
    this.analyzer = new TableAnalyzer(options.pool, options.logger);
  }

  /**
   * Before taking jobs: checkpoint rows exist, global concurrency is set, and every projection
   * left in ERROR resumes from its checkpoint (the fault may be fixed by this very restart; if
   * not, it fails again and stops again).
   */
  async prepare(): Promise<void> {
    const { pool, projections, queues, logger } = this.options;
    await ensureProjectionRows(pool, projections.map((p) => p.name));
    await assertGlobalConcurrency(queues);
    const rows = await readProjections(pool);
    for (const p of projections) {
      const row = rows.find((r) => r.name === p.name);
      const queue = queueOf(queues, p.name);
      if (row?.status === "REBUILDING" && (await recoverAbandonedRebuild(pool, p))) {
        logger.warn({ projection: p.name }, "a rebuild of this projection was abandoned by its process: dropped its shadow tables, RUNNING again");
      }
      if (row?.status === "ERROR") {
        logger.warn({ projection: p.name, lastError: row.lastError }, "projection was stopped by an error: resuming from its checkpoint");
        await resumeProjection(pool, queue, p.name);
      } else if (row && isActive(row.status) && (await queue.isPaused())) {
        // Paused by an error whose resume did not reach Redis: the row is the truth.
        await queue.resume();
      }
    }
  }

  start(): void {
    const { config, projections, connection, logger } = this.options;
    for (const projection of projections) {
      const projector = new Projector(projection, {
        pool: this.options.pool,
        eventStore: this.options.eventStore,
        faults: config.faults,
      });
      const log = logger.child({ projection: projection.name });
      const worker = new Worker<ProjectionJobData>(queueName(projection.name), (job) => this.handle(projector, job, log), {
        connection,
        prefix: config.queuePrefix,
        concurrency: 1,
        lockDuration: config.jobLockMs,
        stalledInterval: Math.max(500, Math.floor(config.jobLockMs / 2)),
        // A job stalls when its process dies; re-running it is harmless (checkpoints), and failing
        // it for stalling would stop the projection for no fault of its own.
        maxStalledCount: 1_000_000,
        autorun: true,
      });
      worker.on("error", (error) => log.error({ err: errorMessage(error) }, "queue worker error"));
      worker.on("failed", (job, error) => {
        if (job) log.warn({ jobId: job.id, attemptsMade: job.attemptsMade, err: errorMessage(error) }, "job attempt failed");
      });
      this.workers.push(worker);
    }
  }

  /** Stops taking jobs; waits for the job in hand to finish (its transaction commits or rolls back). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await this.analyzer.idle();
  }

  private async handle(projector: Projector, job: Job<ProjectionJobData>, log: Logger): Promise<unknown> {
    const name = projector.projection.name;
    const { metrics } = this.options;
    // Every job we add has a name; BullMQ reads a job whose hash is gone as no name and data {}.
    if (job.name === undefined && Object.keys(job.data ?? {}).length === 0) {
      // The job's hash vanished from Redis (keys deleted or lost while its id was still queued):
      // a lost job, not a wrong one. Nothing is lost with it: the next job's `prev`, or the
      // publisher's catch-up, makes the projector read the gap from the event store.
      log.warn({ jobId: job.id }, "a job's data is gone from Redis; skipped (the projection catches up from the event store)");
      return { outcome: "vanished", applied: 0 };
    }
    if (!JOB_NAMES.includes(job.name)) {
      const message = `unknown job name "${job.name}" (job ${job.id}) in queue ${queueName(name)}`;
      await this.stop(name, message, log);
      throw new UnrecoverableError(message);
    }
    const started = performance.now();
    let data: ProjectionJobData | undefined;
    try {
      data = checkJobData(job.data);
      const outcome = await projector.process(data);
      const seconds = (performance.now() - started) / 1000;
      metrics.batchDuration.observe({ projection: name }, seconds);
      metrics.batchSize.observe({ projection: name }, outcome.applied);
      metrics.eventsApplied.inc({ projection: name }, outcome.applied);
      if (outcome.applied > 0) this.analyzer.applied(projector.projection, outcome.applied);
      const level = outcome.kind === "caught-up" || outcome.kind === "inactive" ? "info" : "debug";
      log[level](
        {
          jobId: job.id,
          outcome: outcome.kind,
          applied: outcome.applied,
          checkpoint: "checkpoint" in outcome ? formatCheckpoint(outcome.checkpoint) : undefined,
          correlationIds: correlationIds(data),
          ms: Math.round(seconds * 1000),
        },
        "projection job done",
      );
      return { outcome: outcome.kind, applied: outcome.applied };
    } catch (error) {
      metrics.jobFailures.inc({ projection: name });
      const attempts = job.opts.attempts ?? 1;
      const final = job.attemptsMade + 1 >= attempts;
      log.warn(
        { jobId: job.id, attempt: job.attemptsMade + 1, attempts, err: errorMessage(error), correlationIds: data && correlationIds(data) },
        final ? "projection job failed for the last time" : "projection job failed; will retry",
      );
      if (final) await this.stop(name, errorMessage(error), log);
      throw error;
    }
  }

  /**
   * After the last retry: the projection goes to ERROR with the message, and its queue pauses so
   * that later jobs cannot overtake the failed one. Other projections go on.
   */
  private async stop(name: string, message: string, log: Logger): Promise<void> {
    try {
      const changed = await markProjectionError(this.options.pool, name, message);
      await queueOf(this.options.queues, name).pause();
      if (changed) log.error({ err: message }, "projection stopped (ERROR): fix the cause, then `pnpm projections resume NAME` or restart the workers");
    } catch (error) {
      log.error({ err: errorMessage(error), cause: message }, "could not mark the projection ERROR");
    }
  }
}

function correlationIds(data: ProjectionJobData): string[] {
  const ids = new Set<string>();
  for (const e of data.events) {
    const id = e.metadata?.correlationId;
    if (typeof id === "string") ids.add(id);
    if (ids.size >= 10) break;
  }
  return [...ids];
}
