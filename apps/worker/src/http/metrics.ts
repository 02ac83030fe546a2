import type pg from "pg";
import type { Queue } from "bullmq";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface MetricSources {
  pool: pg.Pool;
  /** Projection name -> its queue. */
  queues: ReadonlyMap<string, Queue>;
}

export type WorkerMetrics = ReturnType<typeof createMetrics>;

// Lag is measured on scrape, from PostgreSQL: it is the truth whichever process applied what.
const LAG_SQL = `
SELECT p.name,
       (SELECT count(*) FROM events e WHERE (e.transaction_id, e.position) > (p.transaction_id, p.position))::float8 AS events,
       coalesce(extract(epoch FROM now() - (SELECT min(e.recorded_at) FROM events e
                 WHERE (e.transaction_id, e.position) > (p.transaction_id, p.position))), 0)::float8 AS seconds
FROM projections p WHERE p.name = ANY($1::text[])`;

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
    help: "Time to process one projection job (transaction included)",
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
    help: "Projection job attempts that failed in this process",
    labelNames: ["projection"] as const,
    registers: [registry],
  });
  const eventsPublished = new Counter({
    name: "coop_worker_events_published_total",
    help: "Events read from the event store and enqueued by this process's publisher",
    registers: [registry],
  });
  const publisherActive = new Gauge({
    name: "coop_worker_publisher_active",
    help: "1 while this process holds the publisher lock",
    registers: [registry],
  });

  new Gauge({
    name: "coop_worker_projection_lag_events",
    help: "Events in the event store after the projection's checkpoint",
    labelNames: ["projection"] as const,
    registers: [registry],
    async collect() {
      const lag = await readLag();
      for (const row of lag) this.set({ projection: row.name }, row.events);
    },
  });
  new Gauge({
    name: "coop_worker_projection_lag_seconds",
    help: "Age of the oldest event the projection has not applied yet (0 when caught up)",
    labelNames: ["projection"] as const,
    registers: [registry],
    async collect() {
      const lag = await readLag();
      for (const row of lag) this.set({ projection: row.name }, row.seconds);
    },
  });
  new Gauge({
    name: "coop_worker_queue_depth",
    help: "Jobs in a projection queue by state",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      if (!sources) return;
      for (const [name, queue] of sources.queues) {
        const counts = await queue.getJobCounts("waiting", "active", "delayed", "paused", "prioritized", "failed");
        for (const [state, count] of Object.entries(counts)) this.set({ queue: `projection.${name}`, state }, count);
      }
    },
  });

  // Both lag gauges collect on the same scrape: one query serves both.
  let pending: Promise<{ name: string; events: number; seconds: number }[]> | null = null;
  function readLag() {
    if (!sources) return Promise.resolve([]);
    const { pool, queues } = sources;
    pending ??= pool
      .query<{ name: string; events: number; seconds: number }>(LAG_SQL, [[...queues.keys()]])
      .then((r) => r.rows)
      .finally(() => setTimeout(() => (pending = null), 100));
    return pending;
  }

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
