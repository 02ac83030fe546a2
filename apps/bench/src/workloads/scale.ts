// The scale workload (issue 12): a catch-up of a large event store by 1 and 2 worker processes with
// 1 and 4 lanes, each from the same populated template, and the live projection lag with 2 workers.
// Also the pieces worker_cpu shares: the publisher's gate and the wait for every projection.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { createPool } from "@coop/database";
import { createTestDatabase, reserveTestDatabase, type TestDatabase } from "@coop/database/testing";
import { compareCheckpoints, createPersonalDataCodec, EventStore, type Checkpoint } from "@coop/event-store";
import { projectionCheckpoint, readLanes, readProjections, readPublisher } from "@coop/projection-state";
import { projections } from "@coop/worker/projections";
import { GraphQLClient } from "../graphql-client";
import { startCpuMeter, startPostgresCpuMeter } from "../process-cpu";
import { AppProcess, benchToken, type StackEnv } from "../stack";
import { perThousand, round, runConcurrent } from "../stats";
import { eventsAppliedByProjections } from "./catchup";
import { appendFamilyPart, EVENTS_PER_FAMILY } from "./family-history";
import { familyDetailChanges, projectionLag } from "./gateway";

export const PROJECTION_NAMES = projections.map((p) => p.name);
const GATE = "bench-gate";
const LAG_RATE = 1_000;

type Pool = ReturnType<typeof createPool>;

/**
 * Holds the publisher's lease for the bench, so that workers start (tsx, connections, queues)
 * without publishing; `openGate` lets them take it, and returns when one has, with the moment it
 * did (performance.now() of this process): the catch-up's start, start-up cost left out.
 */
export async function closeGate(pool: Pool): Promise<void> {
  await pool.query(
    `INSERT INTO leases (name, holder, expires_at) VALUES ('publisher', $1, now() + interval '1 hour')
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, acquired_at = now()`,
    [GATE],
  );
}

export async function openGate(pool: Pool, timeoutMs = 30_000): Promise<number> {
  await pool.query("DELETE FROM leases WHERE name = 'publisher' AND holder = $1", [GATE]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ ago: number }>(
      "SELECT extract(epoch FROM clock_timestamp() - acquired_at)::float8 AS ago FROM leases WHERE name = 'publisher' AND holder <> $1 AND expires_at > now()",
      [GATE],
    );
    if (rows[0]) return performance.now() - rows[0].ago * 1000;
    if (Date.now() > deadline) throw new Error("no worker took the publisher's lease");
    await sleep(10);
  }
}

/**
 * Waits until every projection's position (the least of its lanes', as `projections status` reads
 * it) has reached `head`. Three small queries a poll: cheap beside the work it watches.
 */
export async function waitUntilCaughtUp(pool: Pool, head: Checkpoint, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [rows, lanes, publisher] = await Promise.all([readProjections(pool), readLanes(pool), readPublisher(pool)]);
    const failed = rows.find((r) => r.status === "ERROR");
    if (failed) throw new Error(`projection ${failed.name} is in ERROR: ${failed.lastError}`);
    const behind = PROJECTION_NAMES.filter((name) => {
      const own = lanes.filter((l) => l.projection === name);
      return own.length === 0 || compareCheckpoints(projectionCheckpoint(own, publisher), head) < 0;
    });
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`projections still behind the head: ${behind.join(", ")}`);
    await sleep(25);
  }
}

/** `CREATE DATABASE … TEMPLATE`: a copy of the populated database, far faster than writing it again. */
async function copyDatabase(template: TestDatabase): Promise<TestDatabase> {
  const copy = reserveTestDatabase("coop_bench_scale_run");
  const url = new URL(template.url);
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString(), application_name: "bench-scale-copy" });
  await client.connect();
  try {
    // FILE_COPY: one checkpoint and a file copy, instead of writing the whole copy through the WAL.
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(copy.name)} TEMPLATE ${client.escapeIdentifier(template.name)} STRATEGY FILE_COPY`);
  } finally {
    await client.end();
  }
  return copy;
}

export interface ScaleTemplate {
  db: TestDatabase;
  familyIds: string[];
  events: number;
  head: Checkpoint;
  populateSeconds: number;
}

/**
 * `events` events (rounded up to whole families of 10) in a new database, sealed with the stack's
 * DATA_KEY_SECRET as the gateway writes them, in appends of 5 events, 8 at a time; then vacuumed
 * (hint bits, visibility map, statistics) so that every copy starts alike. No connection is left
 * open to it: it is the template of the copies.
 */
export async function populateScaleTemplate(env: StackEnv, tenantId: string, events: number): Promise<ScaleTemplate> {
  const db = await createTestDatabase("coop_bench_scale");
  const pool = createPool(db.url, { max: 8, application_name: "bench-scale-populate" });
  let populated = false;
  try {
    const started = performance.now();
    const store = new EventStore(pool, { codec: createPersonalDataCodec(pool, { current: env.dataKeySecret }) });
    const families = Math.ceil(events / EVENTS_PER_FAMILY);
    const familyIds = Array.from({ length: families }, () => randomUUID());
    // All first halves, then all second halves: a family's two runs of events lie far apart in the log.
    for (const part of [0, 1] as const) {
      await runConcurrent(families, 8, async (i) => {
        await appendFamilyPart(store, tenantId, familyIds[i]!, i, part);
      });
    }
    await pool.query("VACUUM (FREEZE, ANALYZE)");
    const head = await store.head();
    if (!head) throw new Error("the scale template has no events");
    populated = true;
    return { db, familyIds, events: families * EVENTS_PER_FAMILY, head, populateSeconds: round((performance.now() - started) / 1000) };
  } finally {
    await pool.end();
    if (!populated) await db.drop();
  }
}

export interface ScaleSetting {
  workers: 1 | 2;
  lanes: 1 | 4;
}

export const SCALE_SETTINGS: readonly ScaleSetting[] = [
  { workers: 1, lanes: 1 },
  { workers: 1, lanes: 4 },
  { workers: 2, lanes: 1 },
  { workers: 2, lanes: 4 },
];

export function settingKey(s: ScaleSetting): string {
  return `w${s.workers}l${s.lanes}`;
}

/**
 * One setting on a fresh copy of the template: its workers start behind the gate, then catch up
 * every event; the rate from the moment one took the publisher's lease until every projection
 * reached the head, and the workers' CPU meanwhile (summed) per 1,000 events of the log and per
 * 1,000 applied (an event counts once per projection that handles it). With `lag`, the live
 * projection lag at 1,000 commands/s through a gateway follows, with the same workers.
 */
export async function catchUpSetting(template: ScaleTemplate, env: StackEnv, tenantId: string, setting: ScaleSetting, lag: boolean) {
  const db = await copyDatabase(template.db);
  const stackEnv: StackEnv = { ...env, databaseUrl: db.url, queuePrefix: `${env.queuePrefix}-scale-${randomUUID().slice(0, 6)}` };
  const pool = createPool(db.url, { max: 4, application_name: "bench-scale" });
  const workers: AppProcess[] = [];
  try {
    await closeGate(pool);
    // WORKER_DB_POOL left at its default (lanes consumed + 6: 11 with 1 lane, 26 with 4): with 8
    // and 20 lanes, every connection was a lane's open transaction waiting for one more to read
    // the store, and catch-up stalled on the pool's timeout.
    for (let w = 0; w < setting.workers; w++) {
      workers.push(
        await AppProcess.start("worker", stackEnv, { extraEnv: { PROJECTION_LANES: String(setting.lanes) }, name: `scale-worker-${w + 1}` }),
      );
    }
    const meters = await Promise.all(workers.map((w) => startCpuMeter(w.pid)));
    const postgres = await startPostgresCpuMeter(pool);
    const startedAt = await openGate(pool);
    await waitUntilCaughtUp(pool, template.head, 1_800_000);
    const seconds = (performance.now() - startedAt) / 1000;
    const cpuMs = (await Promise.all(meters.map((m) => m.usedMs()))).reduce((a, b) => a + b, 0);
    const postgresMs = postgres ? await postgres.usedMs() : null;
    const applied = await eventsAppliedByProjections(pool);
    const catchUp = {
      workers: setting.workers,
      lanes: setting.lanes,
      events: template.events,
      seconds: round(seconds, 2),
      eventsPerSec: round(template.events / seconds),
      cpuMsPer1000Events: perThousand(cpuMs, template.events),
      cpuMsPer1000Applied: perThousand(cpuMs, applied),
      cpuCoresBusy: round(cpuMs / 1000 / seconds, 2),
      // The PostgreSQL server's CPU over the same span (the whole server; absent when it is elsewhere).
      ...(postgresMs === null ? {} : { postgresCpuMsPer1000Events: perThousand(postgresMs, template.events), postgresCoresBusy: round(postgresMs / 1000 / seconds, 2) }),
    };
    const lagFigures = lag ? await liveLag(stackEnv, pool, tenantId, template.familyIds.slice(0, 1_000), workers) : null;
    return { catchUp, lag: lagFigures };
  } finally {
    await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
    await pool.end().catch(() => undefined);
    await db.drop();
  }
}

/** projection_lag's load at LAG_RATE commands/s through a gateway of its own, on caught-up workers. */
async function liveLag(env: StackEnv, pool: Pool, tenantId: string, families: string[], workers: AppProcess[]) {
  const gateway = await AppProcess.start("gateway", env, { name: "scale-gateway" });
  const token = await benchToken(env, tenantId, "1h");
  const client = new GraphQLClient(gateway.url, token);
  try {
    const meters = await Promise.all(workers.map((w) => startCpuMeter(w.pid)));
    const appliedBefore = await eventsAppliedByProjections(pool);
    // Reported even when not sustained (the read model still behind a minute after the load):
    // the lags seen, the receipts still pending, and why commands failed, if they did.
    let firstError: string | null = null;
    const { figures } = await projectionLag(client, pool, tenantId, families, LAG_RATE, 20, {
      changes: familyDetailChanges(env),
      behind: "report",
      onError: (error) => {
        firstError ??= error instanceof Error ? error.message : String(error);
      },
    });
    if (firstError) console.error(`bench: scale lag: ${figures.errors} commands failed, the first with: ${firstError}`);
    if (figures.pendingAtEnd > 0) console.error(`bench: scale lag: ${figures.pendingAtEnd} receipts not yet in the read model a minute after the load`);
    const cpuMs = (await Promise.all(meters.map((m) => m.usedMs()))).reduce((a, b) => a + b, 0);
    const applied = (await eventsAppliedByProjections(pool)) - appliedBefore;
    return { ...figures, ratePerSec: LAG_RATE, workers: workers.length, workerCpuMsPer1000Applied: perThousand(cpuMs, applied) };
  } finally {
    await client.close();
    await gateway.stop();
  }
}
