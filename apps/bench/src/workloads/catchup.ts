import type pg from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { upcastEvent } from "@coop/domain";
import { EventStore } from "@coop/event-store";
import { projectionCheckpoint, readLanes, readProjections, readPublisher } from "@coop/projection-state";

/** Waits until every projection has applied every event (lag 0), or fails after `timeoutMs`. */
export async function waitForProjections(pool: pg.Pool, timeoutMs: number): Promise<void> {
  const store = new EventStore(pool);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [rows, lanes, publisher] = await Promise.all([readProjections(pool), readLanes(pool), readPublisher(pool)]);
    const lags = await Promise.all(
      rows.map(async (r) => ({ ...r, lag: await store.countAfter(projectionCheckpoint(lanes.filter((l) => l.projection === r.name), publisher)) })),
    );
    if (lags.length > 0 && lags.every((p) => p.lag === 0)) return;
    const failed = lags.find((p) => p.status === "ERROR");
    if (failed) throw new Error(`projection ${failed.name} is in ERROR`);
    if (Date.now() > deadline) throw new Error(`projections still behind: ${lags.map((p) => `${p.name} ${p.lag}`).join(", ") || "none registered yet"}`);
    await sleep(100);
  }
}

/** Events applied so far, summed over the projections (an event applied by three counts three). */
export async function eventsAppliedByProjections(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ applied: string }>("SELECT coalesce(sum(events_processed), 0)::text AS applied FROM projection_lanes");
  return Number(rows[0]!.applied);
}

/**
 * Rebuilds one projection from every event in the store (the worker's own rebuild: replay into
 * shadow tables, then swap) and reports its rate over the events it read.
 */
export async function catchUp(databaseUrl: string, name: string) {
  const { createPool } = await import("@coop/database");
  const { rebuildProjection } = await import("@coop/worker/rebuild");
  const { ensureProjectionRows } = await import("@coop/worker/checkpoints");
  const { projections } = await import("@coop/worker/projections");
  const { READ_MODEL_WRITER_SETTINGS } = await import("@coop/worker/session-settings");
  const projection = projections.find((p) => p.name === name);
  if (!projection) throw new Error(`no projection named ${name}`);
  const pool = createPool(databaseUrl, { max: 4, application_name: "bench-catchup", settings: READ_MODEL_WRITER_SETTINGS });
  try {
    const lanes = Number(process.env.PROJECTION_LANES ?? 4); // what the bench's workers run with
    await ensureProjectionRows(pool, projections, lanes);
    const eventStore = new EventStore(pool, { upcast: upcastEvent });
    const result = await rebuildProjection({ pool, eventStore, projection, lanes, holder: `bench-catchup:${process.pid}` });
    return { eventsPerSec: result.eventsPerSec, events: result.read };
  } finally {
    await pool.end();
  }
}
