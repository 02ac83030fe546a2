import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type pg from "pg";
import { compareCheckpoints, type Checkpoint } from "@coop/event-store";
import type { ProjectionDefinition } from "../projections/types";
import { readPublisherCheckpoint, setProjectionRunning, type ProjectionRow } from "./checkpoints";
import { CATCHUP_JOB, CATCHUP_JOB_OPTIONS, catchupJobId, queueName, type ProjectionJobData } from "./jobs";

/** One queue per projection, `projection.<name>`, under the configured key prefix. */
export function createQueues(list: readonly ProjectionDefinition[], connection: Redis, prefix: string): Map<string, Queue> {
  return new Map(list.map((p) => [p.name, new Queue(queueName(p.name), { connection, prefix })]));
}

export function queueOf(queues: ReadonlyMap<string, Queue>, name: string): Queue {
  const queue = queues.get(name);
  if (!queue) throw new Error(`no queue for projection "${name}"`);
  return queue;
}

/**
 * One job at a time per queue across all processes: this is what keeps a projection's batches in
 * order with any number of workers. Idempotent; re-asserted by the publisher every second in case
 * Redis lost its keys.
 */
export async function assertGlobalConcurrency(queues: ReadonlyMap<string, Queue>): Promise<void> {
  await Promise.all([...queues.values()].map((q) => q.setGlobalConcurrency(1)));
}

/**
 * Asks the projector to catch up from the event store to `to`. The job claims no events:
 * prev = last = to, so a projector behind `to` sees a gap and reads it from the store. (A job
 * with prev = the projection's checkpoint and no events would claim that nothing happened in
 * between, and skip it.) Returns false when there is nothing to catch up.
 */
export async function enqueueCatchUp(queue: Queue, from: Checkpoint, to: Checkpoint): Promise<boolean> {
  if (compareCheckpoints(from, to) >= 0) return false;
  const data: ProjectionJobData = { prev: to, last: to, events: [] };
  await queue.add(CATCHUP_JOB, data, { ...CATCHUP_JOB_OPTIONS, jobId: catchupJobId(to) });
  return true;
}

/**
 * ERROR/STOPPED -> RUNNING: clears the error, resumes the queue and enqueues a catch-up to the
 * publisher's checkpoint, so the projection resumes from its own checkpoint.
 */
export async function resumeProjection(pool: pg.Pool, queue: Queue, name: string): Promise<ProjectionRow> {
  const row = await setProjectionRunning(pool, name);
  if (!row) throw new Error(`projection "${name}" has no row in the projections table`);
  await queue.resume();
  await enqueueCatchUp(queue, row.checkpoint, await readPublisherCheckpoint(pool));
  return row;
}

/** Jobs that will still run: when none, a projection behind the publisher needs a catch-up job. */
export async function pendingJobs(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized", "paused", "waiting-children");
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
