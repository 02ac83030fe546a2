import type pg from "pg";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { effectiveCheckpoint, readLanes, readProjections, readPublisher, type LaneRow, type ProjectionRow, type PublisherState } from "../runtime/checkpoints";
import { readWatermarkHolder, type WatermarkHolder } from "../runtime/watermark";

export interface MetricSources {
  pool: pg.Pool;
}

export type WorkerMetrics = ReturnType<typeof createMetrics>;

const STATUSES = ["RUNNING", "REBUILDING", "STOPPED", "ERROR"] as const;

interface Snapshot {
  projections: ProjectionRow[];
  lanes: (LaneRow & { lagEvents: number; lagSeconds: number; idleSeconds: number })[];
  publisherLagEvents: number;
  holder: WatermarkHolder | null;
  workers: { live: number; silent: number };
}

/**
 * What an operator watches, per projection and lane: its state, how far behind it is (in events,
 * as positions, and in seconds, from the age of the first event it has not applied), how long since
 * it last applied something, its parked streams; per process, whether it publishes. Read from
 * PostgreSQL on scrape (one snapshot per second whatever the number of gauges), cheaply: index
 * lookups, never a count over the events table.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let sources: MetricSources | null = null;

  const batchSize = new Histogram({
    name: "coop_worker_projection_batch_size",
    help: "Events applied per projection job",
    labelNames: ["projection"] as const,
    buckets: [0, 1, 5, 10, 50, 100, 500, 1000, 5000, 20000],
    registers: [registry],
  });
  const batchDuration = new Histogram({
    name: "coop_worker_projection_batch_duration_seconds",
    help: "Time to process one projection job (transactions included)",
    labelNames: ["projection"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const eventsApplied = new Counter({
    name: "coop_worker_projection_events_applied_total",
    help: "Events applied to read models by this process",
    labelNames: ["projection"] as const,
    registers: [registry],
  });
  const jobFailures = new Counter({
    name: "coop_worker_projection_job_failures_total",
    help: "Failed attempts of projection jobs in this process (each is retried)",
    labelNames: ["projection"] as const,
    registers: [registry],
  });
  const eventsPublished = new Counter({
    name: "coop_worker_events_published_total",
    help: "Events read from the event store and handed to lanes by this process's publisher",
    registers: [registry],
  });
  const publisherActive = new Gauge({
    name: "coop_worker_publisher_active",
    help: "1 while this process holds the publisher lease",
    registers: [registry],
  });

  let pending: Promise<Snapshot | null> | null = null;
  let fresh = 0;
  const snapshot = (): Promise<Snapshot | null> => {
    if (!sources) return Promise.resolve(null);
    if (pending && Date.now() - fresh < 1_000) return pending;
    fresh = Date.now();
    pending = readSnapshot(sources.pool).catch(() => null);
    return pending;
  };

  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (g: Gauge, s: Snapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        if (s) fill(this, s);
      },
    });

  gauge("coop_worker_projection_status", "1 for the projection's current state (RUNNING, REBUILDING, STOPPED, ERROR), 0 for the others", ["projection", "status"], (g, s) => {
    for (const p of s.projections) for (const status of STATUSES) g.set({ projection: p.name, status }, p.status === status ? 1 : 0);
  });
  gauge("coop_worker_projection_lanes", "Lanes the projection runs in", ["projection"], (g, s) => {
    for (const p of s.projections) g.set({ projection: p.name }, p.lanes);
  });
  gauge("coop_worker_projection_lag_events", "Events after the lane's position (positions of the event store; an upper bound)", ["projection", "lane"], (g, s) => {
    for (const l of s.lanes) g.set({ projection: l.projection, lane: String(l.lane) }, l.lagEvents);
  });
  gauge("coop_worker_projection_lag_seconds", "Age of the oldest event after the lane's position (0 when caught up)", ["projection", "lane"], (g, s) => {
    for (const l of s.lanes) g.set({ projection: l.projection, lane: String(l.lane) }, l.lagSeconds);
  });
  gauge("coop_worker_projection_idle_seconds", "Time since the lane last applied an event", ["projection", "lane"], (g, s) => {
    for (const l of s.lanes) g.set({ projection: l.projection, lane: String(l.lane) }, l.idleSeconds);
  });
  gauge("coop_worker_projection_parked_streams", "Streams parked in the lane's dead letters", ["projection", "lane"], (g, s) => {
    for (const l of s.lanes) g.set({ projection: l.projection, lane: String(l.lane) }, l.parkedStreams);
  });
  gauge("coop_worker_publisher_lag_events", "Events after the publisher's checkpoint (positions; an upper bound)", [], (g, s) => {
    g.set(s.publisherLagEvents);
  });
  gauge(
    "coop_event_store_watermark_holder_seconds",
    "Age of the oldest writing transaction on the server, which holds back every reader of the event store (labels name it)",
    ["pid", "database", "application"],
    (g, s) => {
      if (s.holder) g.set({ pid: String(s.holder.pid), database: s.holder.database, application: s.holder.application }, s.holder.ageSeconds);
    },
  );
  gauge("coop_worker_processes", "Worker processes by heartbeat: live (seen within 3 intervals) or silent", ["state"], (g, s) => {
    g.set({ state: "live" }, s.workers.live);
    g.set({ state: "silent" }, s.workers.silent);
  });

  return {
    registry,
    batchSize,
    batchDuration,
    eventsApplied,
    jobFailures,
    eventsPublished,
    publisherActive,
    setSources(next: MetricSources) {
      sources = next;
    },
  };
}

async function readSnapshot(pool: pg.Pool): Promise<Snapshot> {
  const [projections, lanes, publisher, holder, workers] = await Promise.all([
    readProjections(pool),
    readLanes(pool),
    readPublisher(pool),
    readWatermarkHolder(pool),
    pool.query<{ live: number; silent: number }>(
      `SELECT count(*) FILTER (WHERE seen_at > now() - interval '10 seconds')::int AS live,
              count(*) FILTER (WHERE seen_at <= now() - interval '10 seconds')::int AS silent FROM worker_heartbeats`,
    ),
  ]);
  const lag = await lagOf(pool, lanes, publisher);
  return {
    projections,
    lanes: lanes.map((l, i) => ({ ...l, ...lag.lanes[i]! })),
    publisherLagEvents: lag.publisherLagEvents,
    holder,
    workers: workers.rows[0]!,
  };
}

/** Per lane: events after its effective position (positions) and the age of the first of them, by index lookups. */
async function lagOf(pool: pg.Pool, lanes: readonly LaneRow[], publisher: PublisherState) {
  const at = lanes.map((l) => effectiveCheckpoint(l, publisher));
  const { rows } = await pool.query<{ i: number; head: string; lag_seconds: number | null; idle_seconds: number | null }>(
    `SELECT u.i, (SELECT coalesce(max(position), 0)::text FROM events) AS head,
            extract(epoch FROM now() - (SELECT e.recorded_at FROM events e WHERE (e.transaction_id, e.position) > (u.tx, u.pos)
                                         ORDER BY e.transaction_id, e.position LIMIT 1))::float8 AS lag_seconds,
            extract(epoch FROM now() - u.applied)::float8 AS idle_seconds
       FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::timestamptz[]) AS u(i, tx, pos, applied)`,
    [lanes.map((_, i) => i), at.map((c) => c.transactionId), at.map((c) => c.position), lanes.map((l) => l.lastAppliedAt?.toISOString() ?? null)],
  );
  const head = BigInt(rows[0]?.head ?? (await pool.query<{ head: string }>("SELECT coalesce(max(position), 0)::text AS head FROM events")).rows[0]!.head);
  const behind = (position: string) => Number(head > BigInt(position) ? head - BigInt(position) : 0n);
  return {
    lanes: rows
      .sort((a, b) => a.i - b.i)
      .map((r, i) => ({ lagEvents: behind(at[i]!.position), lagSeconds: Math.max(0, r.lag_seconds ?? 0), idleSeconds: Math.max(0, r.idle_seconds ?? 0) })),
    publisherLagEvents: behind(publisher.checkpoint.position),
  };
}
