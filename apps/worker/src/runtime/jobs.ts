import type { JobsOptions } from "bullmq";
import type { Checkpoint, RecordedEvent } from "@coop/event-store";

/** A job of a projection queue: the events of the handled types in (prev, last], in log order. */
export interface ProjectionJobData {
  /** The publisher's checkpoint before this batch: a projector behind it missed something. */
  prev: Checkpoint;
  /** The last event of the batch (any type): the projection's checkpoint once applied. */
  last: Checkpoint;
  /** May be empty (no handled type in the batch, or a catch-up job). */
  events: SerializedEvent[];
}

/** RecordedEvent as it travels through Redis (JSON): the Date becomes ISO text. */
export type SerializedEvent = Omit<RecordedEvent, "recordedAt"> & { recordedAt: string };

export const BATCH_JOB = "batch";
export const CATCHUP_JOB = "catchup";
export const JOB_NAMES: readonly string[] = [BATCH_JOB, CATCHUP_JOB];

export function queueName(projection: string): string {
  return `projection.${projection}`;
}

/** Deterministic, so that re-enqueueing a batch after a publisher crash is deduplicated. */
export function batchJobId(last: Checkpoint): string {
  return `${last.transactionId}-${last.position}`;
}

export function catchupJobId(last: Checkpoint): string {
  return `catchup-${last.transactionId}-${last.position}`;
}

/** Retries with backoff (200, 400, 800, 1600 ms); after the 5th failure the projection stops (ERROR). */
export const JOB_ATTEMPTS = 5;

export const BATCH_JOB_OPTIONS: JobsOptions = {
  attempts: JOB_ATTEMPTS,
  backoff: { type: "exponential", delay: 200 },
  // Jobs carry up to a thousand events: keep a window for the dashboard, not the history
  // (the event store is the history).
  removeOnComplete: { count: 100, age: 24 * 3600 },
  removeOnFail: { count: 1000, age: 7 * 24 * 3600 },
};

/**
 * Catch-up jobs are removed when done either way: their id names only the target checkpoint, and a
 * finished job kept under that id would silently swallow a later catch-up to the same target.
 */
export const CATCHUP_JOB_OPTIONS: JobsOptions = {
  ...BATCH_JOB_OPTIONS,
  removeOnComplete: true,
  removeOnFail: true,
};

export function serializeEvent(e: RecordedEvent): SerializedEvent {
  return { ...e, recordedAt: e.recordedAt.toISOString() };
}

export function reviveEvent(e: SerializedEvent): RecordedEvent {
  const recordedAt = new Date(e.recordedAt);
  if (Number.isNaN(recordedAt.getTime())) throw new Error(`event at position ${e.position} has a bad recordedAt: ${e.recordedAt}`);
  return { ...e, recordedAt };
}

export function checkpointOf(e: { transactionId: string; position: string }): Checkpoint {
  return { transactionId: e.transactionId, position: e.position };
}

export function formatCheckpoint(c: Checkpoint): string {
  return `${c.transactionId}/${c.position}`;
}

/** Throws unless the data has the shape of ProjectionJobData. */
export function checkJobData(data: unknown): ProjectionJobData {
  const d = data as Partial<ProjectionJobData> | null;
  const isCheckpoint = (c: unknown) =>
    typeof c === "object" && c !== null && /^\d+$/.test(String((c as Checkpoint).transactionId)) && /^\d+$/.test(String((c as Checkpoint).position));
  if (!d || !isCheckpoint(d.prev) || !isCheckpoint(d.last) || !Array.isArray(d.events)) {
    throw new Error(`job data is not {prev, last, events}: ${JSON.stringify(data).slice(0, 200)}`);
  }
  return d as ProjectionJobData;
}
