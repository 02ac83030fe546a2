// Sequenced dead letters (after Axon's): a stream whose event fails for good is parked in that
// projection, with the failing event and every later event of the stream waiting behind it, in
// order; the lane's other streams go on. Rows hold positions only: the events stay in the event
// store, so nothing personal is copied here.
import type pg from "pg";
import type { RecordedEvent } from "@coop/event-store";
import { streamKey } from "../projections/fold";
import { redactValues } from "./errors";

// Listing parked and skipped events is shared with the gateway (`deadLetters`).
export { listParkedStreams, listSkippedEvents, type ParkedStream, type SkippedEvent } from "@coop/projection-state";

/** A stream's part of a batch that could not be applied: from its failing event on. */
export interface StreamFailure {
  events: RecordedEvent[];
  error: Error;
}

type Db = pg.Pool | pg.ClientBase;

const INSERT = `INSERT INTO dead_letters (projection, tenant_id, stream_id, stream_version, lane, transaction_id, position, event_type,
                           error, stack, attempts, first_failed_at, last_failed_at)
SELECT $1, u.tenant_id, u.stream_id, u.stream_version, $2, u.tx, u.pos, u.event_type, u.error, u.stack, u.attempts,
       coalesce(u.first_failed_at, now()), now()
FROM unnest($3::text[], $4::uuid[], $5::int[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::int[], $12::timestamptz[])
  AS u(tenant_id, stream_id, stream_version, tx, pos, event_type, error, stack, attempts, first_failed_at)
ON CONFLICT DO NOTHING`;

interface Letter {
  event: RecordedEvent;
  error: string | null;
  stack: string | null;
  attempts: number;
  firstFailedAt: Date | null;
}

async function insertLetters(client: Db, projection: string, lane: number, letters: readonly Letter[]): Promise<void> {
  if (letters.length === 0) return;
  await client.query(INSERT, [
    projection,
    lane,
    letters.map((l) => l.event.tenantId),
    letters.map((l) => l.event.streamId),
    letters.map((l) => l.event.streamVersion),
    letters.map((l) => l.event.transactionId),
    letters.map((l) => l.event.position),
    letters.map((l) => l.event.type),
    letters.map((l) => l.error),
    letters.map((l) => l.stack),
    letters.map((l) => l.attempts),
    letters.map((l) => l.firstFailedAt?.toISOString() ?? null),
  ]);
}

/** Error text as stored and shown: the message and a short stack, bounded. */
export function errorText(error: Error): { message: string; stack: string | null } {
  // Values quoted by PostgreSQL may be personal: never stored (CONTRACT section 8).
  return { message: redactValues(error.message).slice(0, 2_000), stack: error.stack ? redactValues(error.stack.split("\n").slice(0, 15).join("\n")).slice(0, 4_000) : null };
}

/** Parks a stream: its failing event, with the error, and the stream's later events of the batch. */
export async function parkStream(
  client: Db,
  projection: string,
  lane: number,
  failure: StreamFailure,
  since: { firstFailedAt: Date; attempts: number },
): Promise<void> {
  const { message, stack } = errorText(failure.error);
  await insertLetters(
    client,
    projection,
    lane,
    failure.events.map((event, i) =>
      i === 0
        ? { event, error: message, stack, attempts: since.attempts, firstFailedAt: since.firstFailedAt }
        : { event, error: null, stack: null, attempts: 0, firstFailedAt: null },
    ),
  );
}

/** Events of already parked streams: they wait behind, in order. */
export async function queueBehindParked(client: Db, projection: string, lane: number, events: readonly RecordedEvent[]): Promise<void> {
  await insertLetters(client, projection, lane, events.map((event) => ({ event, error: null, stack: null, attempts: 0, firstFailedAt: null })));
}

/** The streams of a lane that are parked, as stream keys. */
export async function parkedStreamsOfLane(client: Db, projection: string, lane: number): Promise<Set<string>> {
  const { rows } = await client.query<{ tenant_id: string; stream_id: string }>(
    "SELECT DISTINCT tenant_id, stream_id::text AS stream_id FROM dead_letters WHERE projection = $1 AND lane = $2",
    [projection, lane],
  );
  return new Set(rows.map((r) => streamKey(r.tenant_id, r.stream_id)));
}

export async function countParkedStreams(client: Db, projection: string, lane?: number): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM (SELECT DISTINCT tenant_id, stream_id FROM dead_letters WHERE projection = $1 AND ($2::int IS NULL OR lane = $2)) s",
    [projection, lane ?? null],
  );
  return rows[0]!.n;
}

/** A parked event as the retry reads it back. */
export interface LetterRow {
  tenantId: string;
  streamId: string;
  streamVersion: number;
  position: string;
  eventType: string;
  attempts: number;
}

/** The dead letters of a lane (or of one stream of it), by stream and version. */
export async function lettersOfLane(client: Db, projection: string, lane: number, stream?: { tenantId: string; streamId: string }): Promise<LetterRow[]> {
  const { rows } = await client.query<{ tenant_id: string; stream_id: string; stream_version: number; position: string; event_type: string; attempts: number }>(
    `SELECT tenant_id, stream_id::text AS stream_id, stream_version, position::text AS position, event_type, attempts FROM dead_letters
      WHERE projection = $1 AND lane = $2 AND ($3::text IS NULL OR (tenant_id = $3 AND stream_id = $4::uuid))
      ORDER BY tenant_id, stream_id, stream_version`,
    [projection, lane, stream?.tenantId ?? null, stream?.streamId ?? null],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, streamId: r.stream_id, streamVersion: r.stream_version, position: r.position, eventType: r.event_type, attempts: r.attempts }));
}

/** The letter applied at last: it leaves the dead letters. */
export async function deleteLetter(client: Db, projection: string, letter: LetterRow): Promise<void> {
  await client.query("DELETE FROM dead_letters WHERE projection = $1 AND tenant_id = $2 AND stream_id = $3::uuid AND stream_version = $4", [
    projection,
    letter.tenantId,
    letter.streamId,
    letter.streamVersion,
  ]);
}

/** The stream's first waiting letter failed again: it now carries the error. */
export async function recordRetryFailure(client: Db, projection: string, letter: LetterRow, error: Error): Promise<void> {
  const { message, stack } = errorText(error);
  await client.query(
    `UPDATE dead_letters SET error = $5, stack = $6, attempts = attempts + 1, last_failed_at = now()
      WHERE projection = $1 AND tenant_id = $2 AND stream_id = $3::uuid AND stream_version = $4`,
    [projection, letter.tenantId, letter.streamId, letter.streamVersion, message, stack],
  );
}

/** Records an operator's skip of a parked event: which, who and why, and the error it had. */
export async function recordSkip(client: Db, projection: string, letter: LetterRow, by: string, reason: string): Promise<void> {
  await client.query(
    `INSERT INTO skipped_events (projection, position, transaction_id, tenant_id, stream_id, stream_version, event_type, error, skipped_by, reason)
     SELECT projection, position, transaction_id, tenant_id, stream_id, stream_version, event_type, error, $5, $6
       FROM dead_letters WHERE projection = $1 AND tenant_id = $2 AND stream_id = $3::uuid AND stream_version = $4
     ON CONFLICT DO NOTHING`,
    [projection, letter.tenantId, letter.streamId, letter.streamVersion, by, reason],
  );
  await deleteLetter(client, projection, letter);
}

