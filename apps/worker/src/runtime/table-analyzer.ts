import type pg from "pg";
import { errorMessage, type Logger } from "../logger";
import { ident } from "../projections/sql";
import { liveTables, type ProjectionDefinition } from "../projections/types";

/** Events a projection applies in this process between two ANALYZEs of its tables. */
export const ANALYZE_EVERY_EVENTS = 50_000;

/**
 * Refreshes the planner statistics of a projection's tables after it has applied many events.
 * Autovacuum does it too, but wakes once a minute: after a large catch-up (a new deployment, a
 * backlog) the planner would meanwhile guess from an empty table's statistics and pick plans 30
 * times slower than the index the queries were written for. Runs outside job transactions, one
 * at a time; a failure is logged, never fatal.
 */
export class TableAnalyzer {
  private readonly sinceLast = new Map<string, number>();
  private running: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    private readonly every = ANALYZE_EVERY_EVENTS,
  ) {}

  applied(projection: ProjectionDefinition, events: number): void {
    const total = (this.sinceLast.get(projection.name) ?? 0) + events;
    if (total < this.every || this.running) {
      this.sinceLast.set(projection.name, total);
      return;
    }
    this.sinceLast.set(projection.name, 0);
    this.running = this.analyze(projection).finally(() => {
      this.running = null;
    });
  }

  /** Waits for an ANALYZE in progress (shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async analyze(projection: ProjectionDefinition): Promise<void> {
    const tables = Object.values(liveTables(projection));
    try {
      await this.pool.query(`ANALYZE ${tables.map(ident).join(", ")}`);
      this.log.debug({ projection: projection.name, tables }, "planner statistics refreshed");
    } catch (error) {
      this.log.warn({ projection: projection.name, err: errorMessage(error) }, "ANALYZE of read-model tables failed");
    }
  }
}
