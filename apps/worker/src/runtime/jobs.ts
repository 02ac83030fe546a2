import type { JobsOptions } from "bullmq";
import type { Checkpoint, RecordedEvent } from "@coop/event-store";

/**
 * An event as it travels in a job: only what a projector needs, as stored (personal fields stay
 * encrypted in Redis; the projector decrypts and upcasts), in a compact array.
 */
export type JobEvent = [
  position: string,
  transactionId: string,
  tenantId: string,
  streamId: string,
  streamType: string,
  streamVersion: number,
  type: string,
  schemaVersion: number,
  data: unknown,
  recordedAtMs: number,
  streamHash: number,
  correlationId: string | null,
];

/** A job of one lane of one projection: the lane's events in (prev, last], in log order. */
export interface LaneJobData {
  /** The number of lanes the publisher split by: a job of another layout is not applied. */
  lanes: number;
  /** The last event handed to this lane before this job: a lane behind it missed something. */
  prev: Checkpoint;
  /** The last event of the publisher's batch (any lane, any type): the lane's checkpoint once applied. */
  last: Checkpoint;
  /** May be empty (a catch-up job: the projector reads the gap from the event store). */
  events: JobEvent[];
}

export const BATCH_JOB = "batch";
export const CATCHUP_JOB = "catchup";
/** Retries the parked streams of the lane (sequenced dead letters), in the lane's order of jobs. */
export const RETRY_PARKED_JOB = "retry-parked";
export const JOB_NAMES: readonly string[] = [BATCH_JOB, CATCHUP_JOB, RETRY_PARKED_JOB];

export function queueName(projection: string, lane: number): string {
  return `projection.${projection}.${lane}`;
}

/** Deterministic, so that re-enqueueing a batch after a publisher crash is deduplicated. */
export function batchJobId(last: Checkpoint): string {
  return `${last.transactionId}-${last.position}`;
}

export function catchupJobId(last: Checkpoint): string {
  return `catchup-${last.transactionId}-${last.position}`;
}

/**
 * One attempt: a failing job retries inside itself (holding its lane, so that nothing overtakes
 * it), then parks the failing stream. Jobs are removed when done: they hold events, and the event
 * store is the history. A job that fails anyway (the process's own fault) is kept a little while
 * for the dashboard.
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: { count: 20, age: 3_600 },
};

export function toJobEvent(e: RecordedEvent): JobEvent {
  const correlationId = typeof e.metadata?.correlationId === "string" ? e.metadata.correlationId : null;
  return [e.position, e.transactionId, e.tenantId, e.streamId, e.streamType, e.streamVersion, e.type, e.schemaVersion, e.data, e.recordedAt.getTime(), e.streamHash, correlationId];
}

/** The event as stored (personal fields sealed, the stored schema): the event store opens it. */
export function fromJobEvent(j: JobEvent): RecordedEvent {
  const [position, transactionId, tenantId, streamId, streamType, streamVersion, type, schemaVersion, data, recordedAtMs, streamHash, correlationId] = j;
  return {
    position,
    transactionId,
    eventId: "",
    tenantId,
    streamId,
    streamType,
    streamVersion,
    type,
    schemaVersion,
    data,
    metadata: correlationId === null ? {} : { correlationId },
    recordedAt: new Date(recordedAtMs),
    streamHash,
  };
}

export function checkpointOf(e: { transactionId: string; position: string }): Checkpoint {
  return { transactionId: e.transactionId, position: e.position };
}

export function formatCheckpoint(c: Checkpoint): string {
  return `${c.transactionId}/${c.position}`;
}

const isCheckpoint = (c: unknown) =>
  typeof c === "object" && c !== null && /^\d+$/.test(String((c as Checkpoint).transactionId)) && /^\d+$/.test(String((c as Checkpoint).position));

/** Throws unless the data has the shape of LaneJobData. */
export function checkJobData(data: unknown): LaneJobData {
  const d = data as Partial<LaneJobData> | null;
  if (!d || !Number.isInteger(d.lanes) || !isCheckpoint(d.prev) || !isCheckpoint(d.last) || !Array.isArray(d.events)) {
    // Never the data itself in the message: events may carry personal fields.
    const keys = d && typeof d === "object" ? Object.keys(d).join(", ") : typeof data;
    throw new Error(`job data is not {lanes, prev, last, events} (has: ${keys})`);
  }
  return d as LaneJobData;
}
