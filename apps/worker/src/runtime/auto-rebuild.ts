import type pg from "pg";
import type { EventStore } from "@coop/event-store";
import { errorMessage, type Logger } from "../logger";
import type { ProjectionDefinition } from "../projections/types";
import type { ProjectionRow } from "./checkpoints";
import { isRebuildRunning, rebuildProjection, recoverAbandonedRebuild } from "./rebuild";

export interface AutoRebuildOptions {
  pool: pg.Pool;
  eventStore: EventStore;
  projections: readonly ProjectionDefinition[];
  /** PROJECTION_LANES: a read model run in another number of lanes is rebuilt with this one. */
  lanes: number;
  holder: string;
  leaseMs: number;
  chunk: number;
  logger: Logger;
  /** After a failed rebuild, the next try waits this long (default 5 minutes). */
  retryAfterMs?: number;
}

/**
 * What the active publisher does once for all, each time it reconciles: clears a rebuild whose
 * process died (its lease expired), and rebuilds blue/green, one at a time, a read model built by
 * another version of its projection or with another number of lanes. Queries keep answering from
 * the old tables meanwhile, and live events keep being applied to them.
 */
export class AutoRebuilder {
  private running: Promise<void> | null = null;
  private readonly failedAt = new Map<string, number>();
  private readonly warned = new Set<string>();

  constructor(private readonly options: AutoRebuildOptions) {}

  /** Waits for a rebuild in progress (shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  async check(rows: readonly ProjectionRow[]): Promise<void> {
    const { pool, projections, lanes, logger } = this.options;
    for (const projection of projections) {
      const row = rows.find((r) => r.name === projection.name);
      if (!row) continue;
      if (row.status === "REBUILDING") {
        if (!this.running && !(await isRebuildRunning(pool, projection.name)) && (await recoverAbandonedRebuild(pool, projection, this.options.holder))) {
          logger.warn({ projection: projection.name }, "a rebuild of this projection was abandoned by its process: dropped its shadow tables, RUNNING again");
        }
        continue;
      }
      if (row.version > projection.version) {
        if (!this.warned.has(projection.name)) {
          this.warned.add(projection.name);
          logger.warn({ projection: projection.name, readModel: row.version, code: projection.version }, "the read model is of a newer version than this process's code: left alone");
        }
        continue;
      }
      if (row.version === projection.version && row.lanes === lanes) continue;
      if (this.running) return;
      if (Date.now() - (this.failedAt.get(projection.name) ?? 0) < (this.options.retryAfterMs ?? 300_000)) continue;
      this.start(projection, row);
      return;
    }
  }

  private start(projection: ProjectionDefinition, row: ProjectionRow): void {
    const { logger } = this.options;
    const log = logger.child({ projection: projection.name });
    log.warn(
      { from: { version: row.version, lanes: row.lanes }, to: { version: projection.version, lanes: this.options.lanes } },
      "the read model was built by another version or number of lanes: rebuilding it blue/green",
    );
    this.running = rebuildProjection({
      pool: this.options.pool,
      eventStore: this.options.eventStore,
      projection,
      lanes: this.options.lanes,
      holder: this.options.holder,
      leaseMs: this.options.leaseMs,
      chunk: this.options.chunk,
      log,
    })
      .then(
        (result) => log.info({ ...result, checkpoint: undefined }, "blue/green rebuild done: the new read model is live"),
        (error: unknown) => {
          this.failedAt.set(projection.name, Date.now());
          log.error({ err: errorMessage(error) }, "blue/green rebuild failed; tried again later");
        },
      )
      .finally(() => (this.running = null));
  }
}
