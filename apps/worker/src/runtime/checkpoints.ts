import type pg from "pg";
import type { Checkpoint } from "@coop/event-store";
import {
  PUBLISHER_NAME,
  toLane,
  toProjection,
  toPublisherState,
  LANE_COLUMNS,
  type LaneDbRow,
  type PublisherDbRow,
  type PublisherState,
  type LaneRow,
  type ProjectionDbRow,
  type ProjectionRow,
} from "@coop/projection-state";

// The read side (rows, positions, what the publisher handed on) is shared with the gateway.
export {
  effectiveCheckpoint,
  isActive,
  laneBehind,
  laneKey,
  projectionCheckpoint,
  publishedTo,
  readLanes,
  readProjection,
  readProjections,
  readPublisher,
  readPublisherCheckpoint,
  PUBLISHER_NAME,
  type LaneRow,
  type ProjectionRow,
  type ProjectionStatus,
  type PublisherState,
} from "@coop/projection-state";

type Db = pg.Pool | pg.ClientBase;

/**
 * Creates the rows of projections the database does not know yet, built by `version` with `lanes`
 * lanes from the first event (their read models are empty, so there is nothing to rebuild), and
 * their lane rows. Leaves existing projections alone.
 */
export async function ensureProjectionRows(db: Db, projections: readonly { name: string; version: number }[], lanes: number): Promise<void> {
  await db.query(
    `WITH created AS (
       INSERT INTO projections (name, version, lanes) SELECT unnest($1::text[]), unnest($2::int[]), $3::int
       ON CONFLICT (name) DO NOTHING RETURNING name, lanes)
     INSERT INTO projection_lanes (projection, lane) SELECT c.name, l FROM created c, generate_series(0, c.lanes - 1) l
     ON CONFLICT DO NOTHING`,
    [projections.map((p) => p.name), projections.map((p) => p.version), lanes],
  );
}

/** The projection and one lane of it, as a job sees them once the lane row is locked. */
export interface LockedLane {
  projection: ProjectionRow;
  lane: LaneRow;
}

// The lane's statements run for every job, so they are named (prepared once per connection): sent
// as simple-protocol text together with BEGIN or COMMIT, PostgreSQL parsed and planned them each
// time, which cost it more than the two round trips they saved (BENCHMARKS.md, lane transactions).
const LOCK_LANE_SQL = `SELECT ${LANE_COLUMNS}, p.version, p.lanes, p.status::text AS status, p.last_error, p.error_since, p.updated_at AS projection_updated_at
  FROM projection_lanes l JOIN projections p ON p.name = l.projection
 WHERE l.projection = $1 AND l.lane = $2 FOR UPDATE OF l`;

const ADVANCE_LANE_SQL = `UPDATE projection_lanes
   SET transaction_id = $3::bigint, position = $4::bigint, events_processed = events_processed + $5::int,
       last_applied_at = CASE WHEN $5::int > 0 THEN now() ELSE last_applied_at END, updated_at = now(),
       parked_streams = coalesce($6::int, parked_streams)
 WHERE projection = $1 AND lane = $2`;

/**
 * BEGIN and the lane's row lock, with its projection's row. The lock serialises everything that
 * moves the lane's checkpoint (jobs in any process, a rebuild's swap), even if BullMQ's global
 * concurrency was lost with Redis. Null when the lane does not exist (the projection's layout
 * changed); the caller rolls back.
 */
export async function beginAndLockLane(client: pg.ClientBase, projection: string, lane: number): Promise<LockedLane | null> {
  if (!Number.isInteger(lane) || lane < 0) throw new Error(`bad lane ${lane}`);
  await client.query("BEGIN");
  const { rows } = await client.query<LaneDbRow & Omit<ProjectionDbRow, "name" | "updated_at"> & { projection_updated_at: Date }>({
    name: "lane_lock",
    text: LOCK_LANE_SQL,
    values: [projection, lane],
  });
  const row = rows[0];
  if (!row) return null;
  return {
    lane: toLane(row),
    projection: toProjection({ ...row, name: projection, updated_at: row.projection_updated_at }),
  };
}

/**
 * Moves the lane's checkpoint and counts what was applied and parked (null: unchanged), inside the
 * lane's transaction (its row is locked since BEGIN, so the order within the transaction is free).
 */
export async function advanceLane(
  client: pg.ClientBase,
  projection: string,
  lane: number,
  checkpoint: Checkpoint,
  applied: number,
  parkedStreams: number | null,
): Promise<void> {
  if (!Number.isInteger(applied) || applied < 0) throw new Error(`bad count of applied events ${applied} for ${projection}/${lane}`);
  const parked = parkedStreams === null ? null : Math.max(0, Math.floor(parkedStreams));
  await client.query({ name: "lane_advance", text: ADVANCE_LANE_SQL, values: [projection, lane, checkpoint.transactionId, checkpoint.position, applied, parked] });
}

/** Stops a projection (all its lanes); returns false if it was not active (already stopped). */
export async function markProjectionError(db: Db, name: string, message: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE projections SET status = 'ERROR', last_error = $2, error_since = now(), updated_at = now()
      WHERE name = $1 AND status IN ('RUNNING', 'REBUILDING')`,
    [name, message.slice(0, 4000)],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * ERROR/STOPPED -> RUNNING. With `keepError`, the last error stays readable (an automatic retry);
 * otherwise it is cleared (an operator resumed it). Null if there is no such projection.
 */
export async function setProjectionRunning(db: Db, name: string, keepError = false): Promise<ProjectionRow | null> {
  const { rows } = await db.query<ProjectionDbRow>(
    `UPDATE projections SET status = 'RUNNING', error_since = NULL, updated_at = now()${keepError ? "" : ", last_error = NULL"}
      WHERE name = $1 AND status IN ('ERROR', 'STOPPED', 'RUNNING')
     RETURNING name, version, lanes, status::text AS status, last_error, error_since, updated_at`,
    [name],
  );
  return rows[0] ? toProjection(rows[0]) : null;
}

export interface PublishedLane {
  projection: string;
  lane: number;
  last: Checkpoint;
}

/**
 * After a batch is enqueued: the publisher's checkpoint and what each lane was handed, in one
 * statement on the publisher's own row (never waiting for a projector). Both only move forward (a
 * deposed publisher may still write once). `layouts` are the lane counts the batch was split by:
 * a projection whose layout changed meanwhile (a rebuild with another number of lanes) gets all
 * its lanes marked as owing every event up to the checkpoint, so that they catch up from the event
 * store rather than trust jobs of the old layout. The layouts are read FOR SHARE: a rebuild's swap,
 * which holds them FOR UPDATE while it changes them, is waited for, and its new values are seen.
 */
export async function savePublished(
  db: Db,
  checkpoint: Checkpoint,
  lanes: readonly PublishedLane[],
  layouts: ReadonlyMap<string, number>,
): Promise<PublisherState | null> {
  const { rows } = await db.query<PublisherDbRow>({
    // Named: the publisher saves after every batch, and this statement is costly to plan.
    name: "publisher_save",
    text: `WITH layout AS (
       SELECT p.name, p.lanes, y.used FROM projections p JOIN unnest($7::text[], $8::int[]) AS y(name, used) ON y.name = p.name FOR SHARE OF p
     ), given AS (
       SELECT g.projection || '/' || g.lane AS key, c.tx, c.pos
         FROM unnest($4::text[], $5::int[], $6::text[]) AS g(projection, lane, last)
         CROSS JOIN LATERAL (SELECT split_part(g.last, '/', 1)::bigint AS tx, split_part(g.last, '/', 2)::bigint AS pos) c
         JOIN layout l ON l.name = g.projection AND l.lanes = l.used
       UNION ALL
       SELECT l.name || '/' || n, $2::bigint, $3::bigint FROM layout l, generate_series(0, l.lanes - 1) n WHERE l.lanes <> l.used
     )
     INSERT INTO publisher_checkpoints AS p (name, transaction_id, position, published)
     VALUES ($1, $2::bigint, $3::bigint, (SELECT coalesce(jsonb_object_agg(key, jsonb_build_array(tx::text, pos::text)), '{}') FROM given))
     ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now(),
       published = p.published || (SELECT coalesce(jsonb_object_agg(g.key, jsonb_build_array(g.tx::text, g.pos::text)), '{}') FROM given g
                                    WHERE NOT p.published ? g.key
                                       OR (g.tx, g.pos) > ((p.published -> g.key ->> 0)::bigint, (p.published -> g.key ->> 1)::bigint))
      WHERE (p.transaction_id, p.position) < (EXCLUDED.transaction_id, EXCLUDED.position)
     RETURNING p.transaction_id::text AS transaction_id, p.position::text AS position, p.published`,
    values: [
      PUBLISHER_NAME,
      checkpoint.transactionId,
      checkpoint.position,
      lanes.map((l) => l.projection),
      lanes.map((l) => l.lane),
      lanes.map((l) => `${l.last.transactionId}/${l.last.position}`),
      [...layouts.keys()],
      [...layouts.values()],
    ],
  });
  // No row: a newer checkpoint is already saved (this publisher was deposed meanwhile).
  return rows[0] ? toPublisherState(rows[0]) : null;
}
