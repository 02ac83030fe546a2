// Where each projection stands: its state and layout, its lanes' checkpoints, and what the
// publisher handed to each lane. Read by the worker, the ops CLI and the gateway alike.
import type pg from "pg";
import { compareCheckpoints, START, type Checkpoint } from "@coop/event-store";

export type ProjectionStatus = "RUNNING" | "REBUILDING" | "STOPPED" | "ERROR";

export interface ProjectionRow {
  name: string;
  /** The projection code version its read model was built with. */
  version: number;
  lanes: number;
  status: ProjectionStatus;
  lastError: string | null;
  errorSince: Date | null;
  updatedAt: Date;
}

export interface LaneRow {
  projection: string;
  lane: number;
  /** The last event applied (the lane's checkpoint). */
  checkpoint: Checkpoint;
  eventsProcessed: string;
  parkedStreams: number;
  lastAppliedAt: Date | null;
  updatedAt: Date;
}

/** What the position arithmetic needs of a lane. */
export type LanePosition = Pick<LaneRow, "projection" | "lane" | "checkpoint">;

export type Db = pg.Pool | pg.ClientBase;

/** Statuses in which events are applied (a rebuild keeps the live tables current meanwhile). */
export function isActive(status: ProjectionStatus): boolean {
  return status === "RUNNING" || status === "REBUILDING";
}

const PROJECTION_SELECT = `SELECT name, version, lanes, status::text AS status, last_error, error_since, updated_at FROM projections`;

export interface ProjectionDbRow {
  name: string;
  version: number;
  lanes: number;
  status: ProjectionStatus;
  last_error: string | null;
  error_since: Date | null;
  updated_at: Date;
}

export function toProjection(r: ProjectionDbRow): ProjectionRow {
  return { name: r.name, version: r.version, lanes: r.lanes, status: r.status, lastError: r.last_error, errorSince: r.error_since, updatedAt: r.updated_at };
}

export const LANE_COLUMNS = `l.projection, l.lane, l.transaction_id::text AS transaction_id, l.position::text AS position,
  l.events_processed::text AS events_processed, l.parked_streams, l.last_applied_at, l.updated_at`;

export interface LaneDbRow {
  projection: string;
  lane: number;
  transaction_id: string;
  position: string;
  events_processed: string;
  parked_streams: number;
  last_applied_at: Date | null;
  updated_at: Date;
}

export function toLane(r: LaneDbRow): LaneRow {
  return {
    projection: r.projection,
    lane: r.lane,
    checkpoint: { transactionId: r.transaction_id, position: r.position },
    eventsProcessed: r.events_processed,
    parkedStreams: r.parked_streams,
    lastAppliedAt: r.last_applied_at,
    updatedAt: r.updated_at,
  };
}

export async function readProjections(db: Db): Promise<ProjectionRow[]> {
  const { rows } = await db.query<ProjectionDbRow>(`${PROJECTION_SELECT} ORDER BY name`);
  return rows.map(toProjection);
}

export async function readProjection(db: Db, name: string): Promise<ProjectionRow | null> {
  const { rows } = await db.query<ProjectionDbRow>(`${PROJECTION_SELECT} WHERE name = $1`, [name]);
  return rows[0] ? toProjection(rows[0]) : null;
}

/** Lane rows of one projection (or all), by projection and lane. */
export async function readLanes(db: Db, projection?: string): Promise<LaneRow[]> {
  const { rows } = await db.query<LaneDbRow>(
    `SELECT ${LANE_COLUMNS} FROM projection_lanes l WHERE $1::text IS NULL OR l.projection = $1 ORDER BY l.projection, l.lane`,
    [projection ?? null],
  );
  return rows.map(toLane);
}

/** The publisher's checkpoint, and per lane the last event it handed to that lane. */
export interface PublisherState {
  checkpoint: Checkpoint;
  /** "projection/lane" -> the last event of the last batch that held events of that lane. */
  published: ReadonlyMap<string, Checkpoint>;
}

export function laneKey(projection: string, lane: number): string {
  return `${projection}/${lane}`;
}

/** What the publisher last handed to a lane (START if nothing). */
export function publishedTo(state: PublisherState, projection: string, lane: number): Checkpoint {
  return state.published.get(laneKey(projection, lane)) ?? START;
}

/**
 * Where a lane really is: at its checkpoint, or, when it has applied everything handed to it, at
 * the publisher's checkpoint (no event of the lane lies in between).
 */
export function effectiveCheckpoint(lane: LanePosition, publisher: PublisherState): Checkpoint {
  const handed = publishedTo(publisher, lane.projection, lane.lane);
  if (compareCheckpoints(lane.checkpoint, handed) >= 0 && compareCheckpoints(publisher.checkpoint, lane.checkpoint) > 0) return publisher.checkpoint;
  return lane.checkpoint;
}

/** Whether a lane has events handed to it (or owed it) that it has not applied. */
export function laneBehind(lane: LanePosition, publisher: PublisherState): boolean {
  return compareCheckpoints(lane.checkpoint, publishedTo(publisher, lane.projection, lane.lane)) < 0;
}

/** A projection's own position: the least of its lanes' (everything before it is applied). */
export function projectionCheckpoint(lanes: readonly LanePosition[], publisher: PublisherState): Checkpoint {
  let least: Checkpoint | null = null;
  for (const lane of lanes) {
    const at = effectiveCheckpoint(lane, publisher);
    if (least === null || compareCheckpoints(at, least) < 0) least = at;
  }
  return least ?? START;
}

/** The projection and one lane of it, as a job sees them once the lane row is locked. */
export const PUBLISHER_NAME = "main";

export async function readPublisher(db: Db): Promise<PublisherState> {
  const { rows } = await db.query<PublisherDbRow>(
    "SELECT transaction_id::text AS transaction_id, position::text AS position, published FROM publisher_checkpoints WHERE name = $1",
    [PUBLISHER_NAME],
  );
  const row = rows[0];
  return row ? toPublisherState(row) : { checkpoint: START, published: new Map() };
}

/** The publisher's row as selected (`transaction_id::text, position::text, published`). */
export interface PublisherDbRow {
  transaction_id: string;
  position: string;
  published: Record<string, [string, string]>;
}

export function toPublisherState(row: PublisherDbRow): PublisherState {
  return {
    checkpoint: { transactionId: row.transaction_id, position: row.position },
    published: new Map(Object.entries(row.published).map(([key, [transactionId, position]]) => [key, { transactionId, position }])),
  };
}

export async function readPublisherCheckpoint(db: Db): Promise<Checkpoint> {
  return (await readPublisher(db)).checkpoint;
}

/** A lane that was handed events up to `last` (or, for a stopped projection, owes them). */
