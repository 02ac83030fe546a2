import type pg from "pg";
import type { RecordedEvent } from "@coop/event-store";

/** Logical table name -> physical table name (the live table, or its shadow during a rebuild). */
export type TableNames = Readonly<Record<string, string>>;

/** The roles of a token (CONTRACT section 3). */
export type ReaderRole = "admin" | "coordinator" | "finance";
export const ANY_ROLE: readonly ReaderRole[] = ["admin", "coordinator", "finance"];

/**
 * A table a projection writes, and the roles that may read its rows (of their own tenant): row-level
 * security is generated from this (`pnpm db:rls`) and checked by `pnpm projections drift`.
 */
export interface ReadModelTable {
  name: string;
  readers: readonly ReaderRole[];
  /**
   * A view of the table, under the same readers' condition, for queries that search it with ILIKE
   * on a trigram index (which row-level security keeps PostgreSQL from using): see
   * `TableAccess.searchView` in @coop/database.
   */
  searchView?: string;
}

/**
 * One read model, defined in one place. The runtime delivers every event it wants exactly once
 * in effect, each stream's events in stream order (a stream always goes to the same lane), and
 * stores the lane's checkpoint in the same transaction as whatever `apply` writes.
 */
export interface ProjectionDefinition {
  /** Queues `projection.<name>.<lane>` and rows `projections.name`; lower-case words and dashes. */
  name: string;
  /**
   * Bump when the same events would now give other rows (a new column, a fixed reducer): a worker
   * that finds the read model built by another version rebuilds it blue/green by itself.
   */
  version: number;
  /** The event types it applies; checked at start-up against the domain's. */
  handles: readonly string[];
  /**
   * Stream types it follows whole: it also gets their events of types it does not handle, which
   * only move a row's version, so that a new event type on such a stream needs no change here.
   * Such a projection applies an event only when it is newer than the row's version.
   */
  followsStreams?: readonly string[];
  /**
   * After each commit, say which streams' rows changed (ids, versions, event types) on Redis, for
   * the gateways' subscriptions. Such a projection keeps one row per stream.
   */
  announcesChanges?: boolean;
  /** The tables it writes and who may read them; checked at start-up to exist. */
  tables: readonly ReadModelTable[];
  /**
   * Applies a batch: events it wants, all after the lane's checkpoint, in log order. Must be fast
   * (no round trip per event) and must throw on anything it does not understand.
   */
  apply(client: pg.PoolClient, events: readonly RecordedEvent[], tables: TableNames): Promise<void>;
}

/** The logical names of a projection's tables. */
export function tablesOf(projection: ProjectionDefinition): string[] {
  return projection.tables.map((t) => t.name);
}

/** Whether the projection gets this event: a type it handles, or any event of a stream it follows. */
export function wants(projection: ProjectionDefinition, event: { type: string; streamType: string }): boolean {
  return projection.handles.includes(event.type) || (projection.followsStreams?.includes(event.streamType) ?? false);
}

/** The live table names of a projection: every logical name maps to itself. */
export function liveTables(projection: ProjectionDefinition): TableNames {
  return Object.fromEntries(projection.tables.map((t) => [t.name, t.name]));
}

/** The physical name of a logical table, or an error naming what is missing. */
export function tableName(tables: TableNames, logical: string): string {
  const physical = tables[logical];
  if (!physical) throw new Error(`table "${logical}" is not mapped (have: ${Object.keys(tables).join(", ")})`);
  return physical;
}
