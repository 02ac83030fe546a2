import type pg from "pg";
import {
  listParkedStreams,
  projectionCheckpoint,
  readLanes,
  readProjections,
  readPublisher,
} from "@coop/projection-state";
import type { ReadDeps } from "../context";
import { toSafeNumber } from "../graphql/values";
import type { DeadLetter, ProjectionStatus } from "./projection.types";

/** Where each projection stands, from its lanes and the publisher's checkpoint; its parked streams. */
export class ProjectionQueries {
  private readonly pool: pg.Pool;

  constructor({ pool }: ReadDeps) {
    this.pool = pool;
  }

  async statuses(): Promise<ProjectionStatus[]> {
    const [rows, lanes, publisher, head] = await Promise.all([
      readProjections(this.pool),
      readLanes(this.pool),
      readPublisher(this.pool),
      this.pool.query<{ head: string }>("SELECT coalesce(max(position), 0)::text AS head FROM events").then((r) => r.rows[0]!.head),
    ]);
    return rows.map((row) => {
      const own = lanes.filter((l) => l.projection === row.name);
      const position = projectionCheckpoint(own, publisher).position;
      return {
        name: row.name,
        position,
        headPosition: head,
        // Cheap: positions, not a count over the events (rolled-back positions make it an upper bound).
        lag: Math.max(0, Number(BigInt(head) - BigInt(position))),
        status: row.status,
        lastError: row.lastError,
        eventsProcessed: toSafeNumber(own.reduce((n, l) => n + BigInt(l.eventsProcessed), 0n)),
        updatedAt: row.updatedAt,
        lanes: row.lanes,
        parkedStreams: own.reduce((n, l) => n + l.parkedStreams, 0),
      };
    });
  }

  /** The viewer's tenant's parked streams only: another tenant's stream is not theirs to see. */
  async deadLetters(tenantId: string, projection: string | null): Promise<DeadLetter[]> {
    const parked = await listParkedStreams(this.pool, projection ?? undefined);
    return parked
      .filter((p) => p.tenantId === tenantId)
      .map((p) => ({
        projection: p.projection,
        lane: p.lane,
        streamId: p.streamId,
        position: p.position,
        version: p.streamVersion,
        type: p.eventType,
        error: p.error,
        attempts: p.attempts,
        waiting: p.waiting,
        firstFailedAt: p.firstFailedAt,
        lastFailedAt: p.lastFailedAt,
      }));
  }
}
