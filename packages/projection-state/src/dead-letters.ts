// The sequenced dead letters as operators see them: parked streams (the event that failed, why,
// and what waits behind it) and the events operators skipped, with who and why.
import type { Db } from "./positions";

/** A parked stream as operators see it: the event that failed, why, and what waits behind it. */
export interface ParkedStream {
  projection: string;
  lane: number;
  tenantId: string;
  streamId: string;
  position: string;
  streamVersion: number;
  eventType: string;
  error: string | null;
  stack: string | null;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  /** Later events of the stream waiting behind the failed one. */
  waiting: number;
}

/** Every parked stream (of one projection, or all), oldest failure first. */
export async function listParkedStreams(db: Db, projection?: string): Promise<ParkedStream[]> {
  const { rows } = await db.query<{
    projection: string;
    lane: number;
    tenant_id: string;
    stream_id: string;
    position: string;
    stream_version: number;
    event_type: string;
    error: string | null;
    stack: string | null;
    attempts: number;
    first_failed_at: Date;
    last_failed_at: Date;
    waiting: number;
  }>(
    `SELECT DISTINCT ON (d.projection, d.tenant_id, d.stream_id)
            d.projection, d.lane, d.tenant_id, d.stream_id::text AS stream_id, d.position::text AS position, d.stream_version,
            d.event_type, d.error, d.stack, d.attempts, d.first_failed_at, d.last_failed_at,
            (SELECT count(*)::int - 1 FROM dead_letters w WHERE w.projection = d.projection AND w.tenant_id = d.tenant_id AND w.stream_id = d.stream_id) AS waiting
       FROM dead_letters d
      WHERE $1::text IS NULL OR d.projection = $1
      ORDER BY d.projection, d.tenant_id, d.stream_id, d.stream_version`,
    [projection ?? null],
  );
  return rows
    .map((r) => ({
      projection: r.projection,
      lane: r.lane,
      tenantId: r.tenant_id,
      streamId: r.stream_id,
      position: r.position,
      streamVersion: r.stream_version,
      eventType: r.event_type,
      error: r.error,
      stack: r.stack,
      attempts: r.attempts,
      firstFailedAt: r.first_failed_at,
      lastFailedAt: r.last_failed_at,
      waiting: r.waiting,
    }))
    .sort((a, b) => a.firstFailedAt.getTime() - b.firstFailedAt.getTime());
}

/** The events skipped by operators (of one projection, or all), newest first. */
export interface SkippedEvent {
  projection: string;
  position: string;
  tenantId: string;
  streamId: string;
  streamVersion: number;
  eventType: string;
  skippedBy: string;
  reason: string;
  skippedAt: Date;
}

export async function listSkippedEvents(db: Db, projection?: string): Promise<SkippedEvent[]> {
  const { rows } = await db.query<{
    projection: string;
    position: string;
    tenant_id: string;
    stream_id: string;
    stream_version: number;
    event_type: string;
    skipped_by: string;
    reason: string;
    skipped_at: Date;
  }>(
    `SELECT projection, position::text AS position, tenant_id, stream_id::text AS stream_id, stream_version, event_type, skipped_by, reason, skipped_at
       FROM skipped_events WHERE $1::text IS NULL OR projection = $1 ORDER BY skipped_at DESC`,
    [projection ?? null],
  );
  return rows.map((r) => ({
    projection: r.projection,
    position: r.position,
    tenantId: r.tenant_id,
    streamId: r.stream_id,
    streamVersion: r.stream_version,
    eventType: r.event_type,
    skippedBy: r.skipped_by,
    reason: r.reason,
    skippedAt: r.skipped_at,
  }));
}
