// How far the read models are, as the workers announce it after each commit, and a board that a
// gateway keeps of it to answer "does every read model X include the event at P?" without asking
// the database each time. Announcements go through Redis pub/sub, which may lose them: the board
// only ever believes less than the truth (each fact it holds was committed), and its owner
// refreshes it from the database when an answer is overdue.
import { compareCheckpoints, START, type Checkpoint } from "@coop/event-store";
import { isActive, laneKey, projectionCheckpoint, type LaneRow, type ProjectionRow, type ProjectionStatus, type PublisherState } from "./positions";

/** A lane committed up to `checkpoint` (in a read model of `version`, laid out in `lanes` lanes). */
export interface LaneProgress {
  kind: "lane";
  projection: string;
  version: number;
  lanes: number;
  lane: number;
  checkpoint: Checkpoint;
}

/** The publisher's row as it committed: its checkpoint and what it handed each lane. */
export interface PublisherProgress {
  kind: "publisher";
  state: PublisherState;
}

export type Progress = LaneProgress | PublisherProgress;

const text = (c: Checkpoint) => `${c.transactionId}/${c.position}`;

function checkpointFrom(value: unknown): Checkpoint | null {
  if (typeof value !== "string") return null;
  const match = /^(\d{1,19})\/(\d{1,19})$/.exec(value);
  return match ? { transactionId: match[1]!, position: match[2]! } : null;
}

export function encodeProgress(progress: Progress): string {
  if (progress.kind === "lane") {
    const { projection, version, lanes, lane, checkpoint } = progress;
    return JSON.stringify({ k: "lane", p: projection, v: version, n: lanes, l: lane, c: text(checkpoint) });
  }
  const handed: Record<string, string> = {};
  for (const [key, at] of progress.state.published) handed[key] = text(at);
  return JSON.stringify({ k: "publisher", c: text(progress.state.checkpoint), h: handed });
}

/** The announcement, or null for anything malformed (ignored: the board stays as it was). */
export function decodeProgress(message: string): Progress | null {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(message) as Record<string, unknown>;
  } catch {
    return null;
  }
  const checkpoint = checkpointFrom(raw.c);
  if (!checkpoint) return null;
  if (raw.k === "lane") {
    const { p, v, n, l } = raw;
    if (typeof p !== "string" || !Number.isInteger(v) || !Number.isInteger(n) || !Number.isInteger(l)) return null;
    return { kind: "lane", projection: p, version: v as number, lanes: n as number, lane: l as number, checkpoint };
  }
  if (raw.k === "publisher" && raw.h !== null && typeof raw.h === "object") {
    const published = new Map<string, Checkpoint>();
    for (const [key, value] of Object.entries(raw.h as Record<string, unknown>)) {
      const at = checkpointFrom(value);
      if (!at) return null;
      published.set(key, at);
    }
    return { kind: "publisher", state: { checkpoint, published } };
  }
  return null;
}

interface Layout {
  version: number;
  lanes: number;
  status: ProjectionStatus;
}

/**
 * Where each projection stands, as last seen. `refresh` replaces it with the database's rows;
 * announcements move it forward in between. An announcement of a layout the board does not know
 * (a rebuild changed the lanes or the version) is not applied: `apply` says so, and the owner
 * refreshes.
 */
export class ProgressBoard {
  private layouts = new Map<string, Layout>();
  private lanes = new Map<string, { projection: string; lane: number; checkpoint: Checkpoint }>();
  private publisher: PublisherState = { checkpoint: START, published: new Map() };

  refresh(projections: readonly ProjectionRow[], lanes: readonly LaneRow[], publisher: PublisherState): void {
    this.layouts = new Map(projections.map((p) => [p.name, { version: p.version, lanes: p.lanes, status: p.status }]));
    this.lanes = new Map(lanes.map((l) => [laneKey(l.projection, l.lane), { projection: l.projection, lane: l.lane, checkpoint: l.checkpoint }]));
    this.publisher = publisher;
  }

  /** Applies an announcement; false when it is of a layout unknown here (refresh, then). */
  apply(progress: Progress): boolean {
    if (progress.kind === "publisher") {
      // A whole row as committed: the newer one wins (a deposed publisher's late write never commits).
      if (compareCheckpoints(progress.state.checkpoint, this.publisher.checkpoint) > 0) this.publisher = progress.state;
      return true;
    }
    const layout = this.layouts.get(progress.projection);
    if (!layout || layout.version !== progress.version || layout.lanes !== progress.lanes) return false;
    const key = laneKey(progress.projection, progress.lane);
    const known = this.lanes.get(key);
    if (!known) return false;
    if (compareCheckpoints(progress.checkpoint, known.checkpoint) > 0) this.lanes.set(key, { ...known, checkpoint: progress.checkpoint });
    return true;
  }

  /** Whether the projection is known and applying events (RUNNING or REBUILDING). */
  status(projection: string): ProjectionStatus | null {
    return this.layouts.get(projection)?.status ?? null;
  }

  /** Everything up to this checkpoint is applied in the projection's read model (null: projection unknown). */
  checkpointOf(projection: string): Checkpoint | null {
    const layout = this.layouts.get(projection);
    if (!layout) return null;
    const lanes = [...this.lanes.values()].filter((l) => l.projection === projection);
    if (lanes.length !== layout.lanes) return START;
    return projectionCheckpoint(lanes, this.publisher);
  }

  /** Whether every listed projection has applied everything up to `target`. */
  includes(projections: readonly string[], target: Checkpoint): boolean {
    return projections.every((p) => {
      const at = this.checkpointOf(p);
      return at !== null && compareCheckpoints(at, target) >= 0;
    });
  }

  /** The listed projections that are known but not applying events (stopped, in error). */
  stopped(projections: readonly string[]): string[] {
    return projections.filter((p) => {
      const status = this.status(p);
      return status !== null && !isActive(status);
    });
  }
}

/** One commit's changed rows of a projection that announces them: per stream, the new version. */
export interface StreamChange {
  tenantId: string;
  streamId: string;
  /** The stream version the row now reflects. */
  version: number;
  /** The position of the last event applied to the row. */
  position: string;
  /** The types of the events applied in that commit, in order. */
  events: string[];
}

export function encodeStreamChanges(changes: readonly StreamChange[]): string {
  return JSON.stringify(changes.map((c) => [c.tenantId, c.streamId, c.version, c.position, c.events]));
}

/** The changes, without any that are malformed. */
export function decodeStreamChanges(message: string): StreamChange[] {
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const changes: StreamChange[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || item.length !== 5) continue;
    const [tenantId, streamId, version, position, events] = item as unknown[];
    if (typeof tenantId !== "string" || typeof streamId !== "string" || !Number.isInteger(version) || typeof position !== "string" || !/^\d{1,19}$/.test(position)) continue;
    if (!Array.isArray(events) || !events.every((e) => typeof e === "string")) continue;
    changes.push({ tenantId, streamId, version: version as number, position, events: events as string[] });
  }
  return changes;
}

/** Per stream, the version and types of the events a commit applied (events in log order). */
export function streamChangesOf(events: readonly { tenantId: string; streamId: string; streamVersion: number; position: string; type: string }[]): StreamChange[] {
  const byStream = new Map<string, StreamChange>();
  for (const e of events) {
    const key = `${e.tenantId}\u0000${e.streamId}`;
    const change = byStream.get(key);
    if (!change) byStream.set(key, { tenantId: e.tenantId, streamId: e.streamId, version: e.streamVersion, position: e.position, events: [e.type] });
    else {
      change.version = Math.max(change.version, e.streamVersion);
      change.position = e.position;
      change.events.push(e.type);
    }
  }
  return [...byStream.values()];
}
