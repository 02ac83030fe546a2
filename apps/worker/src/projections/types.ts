import type pg from "pg";
import type { CoordinatorEvent, FamilyEventType } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";

/** Logical table name -> physical table name (the live table, or its shadow during a rebuild). */
export type TableNames = Readonly<Record<string, string>>;

/**
 * One read model, defined in one place. The runtime delivers every event of the types in
 * `handles` exactly once in effect, in log order, and stores the checkpoint in the same
 * transaction as whatever `apply` writes.
 */
export interface ProjectionDefinition {
  /** Queue `projection.<name>` and row `projections.name`; lower-case words and dashes. */
  name: string;
  /** Checked at start-up against the domain's event types. */
  handles: readonly (FamilyEventType | CoordinatorEvent["type"])[];
  /** Logical names of the tables it writes; checked at start-up to exist. */
  tables: readonly string[];
  /**
   * Applies a batch: only handled types, all strictly after the checkpoint, in log order.
   * Must be fast (no round trip per event) and must throw on anything it does not understand.
   */
  apply(client: pg.PoolClient, events: readonly RecordedEvent[], tables: TableNames): Promise<void>;
}

/** The live table names of a projection: every logical name maps to itself. */
export function liveTables(projection: ProjectionDefinition): TableNames {
  return Object.fromEntries(projection.tables.map((t) => [t, t]));
}

/** The physical name of a logical table, or an error naming what is missing. */
export function tableName(tables: TableNames, logical: string): string {
  const physical = tables[logical];
  if (!physical) throw new Error(`table "${logical}" is not mapped (have: ${Object.keys(tables).join(", ")})`);
  return physical;
}
