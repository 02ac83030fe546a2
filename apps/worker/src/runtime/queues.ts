import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { compareCheckpoints, type Checkpoint } from "@coop/event-store";
import { CATCHUP_JOB, JOB_OPTIONS, RETRY_PARKED_JOB, catchupJobId, queueName, type LaneJobData } from "./jobs";

/**
 * The lane queues of the projections, `projection.<name>.<lane>` under the configured key prefix,
 * created on first use (a projection's number of lanes can change with a rebuild). Every queue
 * has its 'error' listener: a Redis that goes away must not take the process with it.
 */
export class LaneQueues {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly onError: (queue: string, error: Error) => void,
  ) {}

  get(projection: string, lane: number): Queue {
    const name = queueName(projection, lane);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on("error", (error) => this.onError(name, error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
  }
}

/**
 * One job at a time per lane queue across all processes: this is what keeps a lane's jobs in
 * order with any number of workers. Idempotent; re-asserted by the publisher every second in case
 * Redis lost its keys.
 */
export async function assertGlobalConcurrency(queues: readonly Queue[]): Promise<void> {
  await Promise.all(queues.map((q) => q.setGlobalConcurrency(1)));
}

/**
 * Asks a lane to catch up from the event store to `to`. The job claims no events: prev = last =
 * to, so a lane behind `to` sees a gap and reads it from the store, in large chunks. Returns false
 * when there is nothing to catch up.
 */
export async function enqueueCatchUp(queue: Queue, lanes: number, from: Checkpoint, to: Checkpoint): Promise<boolean> {
  if (compareCheckpoints(from, to) >= 0) return false;
  const data: LaneJobData = { lanes, prev: to, last: to, events: [] };
  // Removed when done either way: its id names only the target, and a kept job under that id
  // would swallow a later catch-up to the same target.
  await queue.add(CATCHUP_JOB, data, { ...JOB_OPTIONS, removeOnFail: true, jobId: catchupJobId(to) });
  return true;
}

/** Asks the lane to retry its parked streams, in the lane's order of jobs. */
export async function enqueueParkedRetry(queue: Queue, lanes: number): Promise<void> {
  const data: LaneJobData = { lanes, prev: { transactionId: "0", position: "0" }, last: { transactionId: "0", position: "0" }, events: [] };
  await queue.add(RETRY_PARKED_JOB, data, { ...JOB_OPTIONS, removeOnFail: true, jobId: `${RETRY_PARKED_JOB}-${Date.now()}` });
}

/** Jobs that will still run: when none, a lane behind the publisher needs a catch-up job. */
export async function pendingJobs(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized", "paused", "waiting-children");
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
