import type pg from "pg";
import { START, type Checkpoint } from "@coop/event-store";

export type ProjectionStatus = "RUNNING" | "REBUILDING" | "STOPPED" | "ERROR";

export interface ProjectionRow {
  name: string;
  checkpoint: Checkpoint;
  status: ProjectionStatus;
  lastError: string | null;
  eventsProcessed: string;
  updatedAt: Date;
}

/** Statuses in which events are applied (a rebuild keeps the live table current meanwhile). */
export function isActive(status: ProjectionStatus): boolean {
  return status === "RUNNING" || status === "REBUILDING";
}

const SELECT = `SELECT name, transaction_id::text AS transaction_id, position::text AS position, status::text AS status,
       last_error, events_processed::text AS events_processed, updated_at FROM projections`;

interface Row {
  name: string;
  transaction_id: string;
  position: string;
  status: ProjectionStatus;
  last_error: string | null;
  events_processed: string;
  updated_at: Date;
}

function toProjection(r: Row): ProjectionRow {
  return {
    name: r.name,
    checkpoint: { transactionId: r.transaction_id, position: r.position },
    status: r.status,
    lastError: r.last_error,
    eventsProcessed: r.events_processed,
    updatedAt: r.updated_at,
  };
}

/** Creates the rows of new projections (checkpoint at the start, RUNNING); leaves others alone. */
export async function ensureProjectionRows(db: pg.Pool | pg.ClientBase, names: readonly string[]): Promise<void> {
  await db.query("INSERT INTO projections (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING", [names]);
}

export async function readProjections(db: pg.Pool | pg.ClientBase): Promise<ProjectionRow[]> {
  const { rows } = await db.query<Row>(`${SELECT} ORDER BY name`);
  return rows.map(toProjection);
}

export async function readProjection(db: pg.Pool | pg.ClientBase, name: string): Promise<ProjectionRow | null> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE name = $1`, [name]);
  return rows[0] ? toProjection(rows[0]) : null;
}

/**
 * Locks the projection's row for the rest of the transaction, creating it if missing. The lock
 * serialises everything that moves the checkpoint (jobs in any process, a rebuild's swap), even
 * if BullMQ's global concurrency was lost with Redis.
 */
export async function lockProjection(client: pg.ClientBase, name: string): Promise<ProjectionRow> {
  const sql = `${SELECT} WHERE name = $1 FOR UPDATE`;
  let { rows } = await client.query<Row>(sql, [name]);
  if (!rows[0]) {
    await client.query("INSERT INTO projections (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", [name]);
    ({ rows } = await client.query<Row>(sql, [name]));
  }
  if (!rows[0]) throw new Error(`projection row "${name}" could not be created`);
  return toProjection(rows[0]);
}

/**
 * BEGIN and lockProjection in one round trip (a simple-protocol message with two statements):
 * a projector job is a handful of round trips, and each one costs most under load.
 */
export async function beginAndLockProjection(client: pg.ClientBase, name: string): Promise<ProjectionRow> {
  const results = (await client.query(`BEGIN; ${SELECT} WHERE name = ${client.escapeLiteral(name)} FOR UPDATE`)) as unknown as pg.QueryResult<Row>[];
  const row = results[1]?.rows[0];
  return row ? toProjection(row) : lockProjection(client, name);
}

/** advanceProjection and COMMIT in one round trip. */
export async function advanceProjectionAndCommit(client: pg.ClientBase, name: string, checkpoint: Checkpoint, applied: number): Promise<void> {
  const { transactionId, position } = checkpoint;
  if (!/^\d+$/.test(transactionId) || !/^\d+$/.test(position) || !Number.isInteger(applied) || applied < 0) {
    throw new Error(`bad checkpoint ${transactionId}/${position} (+${applied}) for ${name}`);
  }
  await client.query(
    `UPDATE projections SET transaction_id = ${transactionId}, position = ${position},
            events_processed = events_processed + ${applied}, updated_at = now()
      WHERE name = ${client.escapeLiteral(name)}; COMMIT`,
  );
}

/** Stops a projection after its last retry; returns false if it was not active (already stopped). */
export async function markProjectionError(db: pg.Pool | pg.ClientBase, name: string, message: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE projections SET status = 'ERROR', last_error = $2, updated_at = now()
      WHERE name = $1 AND status IN ('RUNNING', 'REBUILDING')`,
    [name, message.slice(0, 4000)],
  );
  return (result.rowCount ?? 0) > 0;
}

/** ERROR/STOPPED -> RUNNING, error cleared. Returns the row, or null if there is none. */
export async function setProjectionRunning(db: pg.Pool | pg.ClientBase, name: string): Promise<ProjectionRow | null> {
  const { rows } = await db.query<Row>(
    `UPDATE projections SET status = 'RUNNING', last_error = NULL, updated_at = now() WHERE name = $1
     RETURNING name, transaction_id::text AS transaction_id, position::text AS position, status::text AS status,
               last_error, events_processed::text AS events_processed, updated_at`,
    [name],
  );
  return rows[0] ? toProjection(rows[0]) : null;
}

export const PUBLISHER_NAME = "main";

export async function readPublisherCheckpoint(db: pg.Pool | pg.ClientBase): Promise<Checkpoint> {
  const { rows } = await db.query<{ transaction_id: string; position: string }>(
    "SELECT transaction_id::text AS transaction_id, position::text AS position FROM publisher_checkpoints WHERE name = $1",
    [PUBLISHER_NAME],
  );
  return rows[0] ? { transactionId: rows[0].transaction_id, position: rows[0].position } : START;
}

/** Moves the publisher's checkpoint forward, never back (a deposed publisher may still write once). */
export async function savePublisherCheckpoint(db: pg.Pool | pg.ClientBase, checkpoint: Checkpoint): Promise<void> {
  await db.query(
    `INSERT INTO publisher_checkpoints AS p (name, transaction_id, position) VALUES ($1, $2::bigint, $3::bigint)
     ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()
      WHERE (p.transaction_id, p.position) < (EXCLUDED.transaction_id, EXCLUDED.position)`,
    [PUBLISHER_NAME, checkpoint.transactionId, checkpoint.position],
  );
}

/** Events after a checkpoint (committed or not yet visible): the lag the status table shows. */
export async function countEventsAfter(db: pg.Pool | pg.ClientBase, checkpoint: Checkpoint): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    "SELECT count(*)::text AS n FROM events WHERE (transaction_id, position) > ($1::bigint, $2::bigint)",
    [checkpoint.transactionId, checkpoint.position],
  );
  return Number(rows[0]!.n);
}
