// worker_cpu (issue 14): the worker's CPU per 1,000 events, split by role. One worker process per
// projection (WORKER_PROJECTIONS=<name>, WORKER_PUBLISHER=off) and one that only publishes
// (WORKER_PROJECTIONS=none), each measured on its own over the same live load.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { eventsAppendedChannel } from "@coop/config";
import { createPool } from "@coop/database";
import { createTestDatabase } from "@coop/database/testing";
import { createPersonalDataCodec, EventStore } from "@coop/event-store";
import { startCpuMeter } from "../process-cpu";
import { AppProcess, type StackEnv } from "../stack";
import { perThousand, round } from "../stats";
import { appendFamilyPart, EVENTS_PER_FAMILY } from "./family-history";
import { PROJECTION_NAMES, waitUntilCaughtUp } from "./scale";

/** Families per run: 10 events each, in two appends of 5. */
const FAMILIES = 10_000;
/** Appends a second (5 events each): a steady live load, not a backlog (which lanes catch up from the store instead). */
const APPENDS_PER_SEC = 1_000;

const MAX_IN_FLIGHT = 16;

type Pool = ReturnType<typeof createPool>;

export interface WorkerCpuStack {
  pool: Pool;
  store: EventStore;
  redis: Redis;
  env: StackEnv;
  publisher: AppProcess;
  projectors: Map<string, AppProcess>;
  close(): Promise<void>;
}

/** A database of its own, the publisher-only process and one process per projection, ready. */
export async function startWorkerCpuStack(env: StackEnv): Promise<WorkerCpuStack> {
  const db = await createTestDatabase("coop_bench_workercpu");
  const stackEnv: StackEnv = { ...env, databaseUrl: db.url, queuePrefix: `${env.queuePrefix}-cpu` };
  const pool = createPool(db.url, { max: 8, application_name: "bench-worker-cpu" });
  const redis = new Redis(env.redisUrl);
  const started: AppProcess[] = [];
  const close = async () => {
    await Promise.all(started.map((p) => p.stop().catch(() => undefined)));
    redis.disconnect();
    await pool.end().catch(() => undefined);
    await db.drop();
  };
  try {
    const publisher = await AppProcess.start("worker", stackEnv, { extraEnv: { WORKER_PROJECTIONS: "none", WORKER_DB_POOL: "4" }, name: "worker-publisher" });
    started.push(publisher);
    // 4 lanes each: a lane's transaction plus one connection at a time for its reads (store, data keys).
    const projectors = new Map<string, AppProcess>();
    for (const name of PROJECTION_NAMES) {
      const proc = await AppProcess.start("worker", stackEnv, { extraEnv: { WORKER_PROJECTIONS: name, WORKER_PUBLISHER: "off", WORKER_DB_POOL: "8" }, name: `worker-${name}` });
      started.push(proc);
      projectors.set(name, proc);
    }
    await waitForPublisher(pool);
    const store = new EventStore(pool, { codec: createPersonalDataCodec(pool, { current: env.dataKeySecret }) });
    return { pool, store, redis, env: stackEnv, publisher, projectors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Until the publisher-only process holds the publisher's lease (its first election). */
async function waitForPublisher(pool: Pool): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await pool.query("SELECT 1 FROM leases WHERE name = 'publisher' AND expires_at > now()")).rowCount === 0) {
    if (Date.now() > deadline) throw new Error("the publisher-only process did not take the publisher's lease");
    await sleep(50);
  }
}

async function appliedByProjection(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ projection: string; applied: string }>(
    "SELECT projection, sum(events_processed)::text AS applied FROM projection_lanes GROUP BY projection",
  );
  return new Map(rows.map((r) => [r.projection, Number(r.applied)]));
}

/**
 * One run: FAMILIES new families' events appended through the sealing event store at
 * APPENDS_PER_SEC on a fixed schedule, each append followed by the gateway's nudge; then until
 * every projection has applied them. Each process's CPU from the first append until then: the
 * publisher's per 1,000 events of the log, each projection's per 1,000 events it applied, and all
 * of them together per 1,000 applied (as `workerCpuMsPer1000Events`) and per 1,000 of the log.
 */
export async function workerCpuRun(stack: WorkerCpuStack, tenantId: string): Promise<Record<string, number>> {
  const { pool, store, redis } = stack;
  const channel = eventsAppendedChannel(stack.env.queuePrefix);
  const processes = [["publisher", stack.publisher] as const, ...[...stack.projectors].map(([name, p]) => [name, p] as const)];
  const meters = await Promise.all(processes.map(([, p]) => startCpuMeter(p.pid)));
  const before = await appliedByProjection(pool);
  const ids = Array.from({ length: FAMILIES }, () => randomUUID());
  const start = performance.now();
  const sends: Promise<void>[] = [];
  let inFlight = 0;
  let failure: unknown = null;
  for (let k = 0; k < FAMILIES * 2; k++) {
    const part = k < FAMILIES ? 0 : 1;
    const i = k % FAMILIES;
    const wait = start + (k * 1000) / APPENDS_PER_SEC - performance.now();
    if (wait > 1) await sleep(wait);
    // Behind schedule (a busy machine), at most MAX_IN_FLIGHT wait for the pool, not thousands.
    while (inFlight >= MAX_IN_FLIGHT) await sleep(1);
    if (failure) break;
    inFlight++;
    // The second halves wait for their first: appended FAMILIES appends earlier, long done.
    sends.push(
      appendFamilyPart(store, tenantId, ids[i]!, i, part)
        .then((result) => {
          redis.publish(channel, result.position).catch(() => undefined); // the publisher also polls
        })
        .catch((error: unknown) => {
          failure ??= error; // thrown below, once the loop is done: not an unhandled rejection meanwhile
        })
        .finally(() => inFlight--),
    );
  }
  await Promise.all(sends);
  if (failure) throw failure;
  const appendSeconds = (performance.now() - start) / 1000;
  const head = await store.head();
  await waitUntilCaughtUp(pool, head!, 300_000);
  const cpu = await Promise.all(meters.map((m) => m.usedMs()));
  const after = await appliedByProjection(pool);
  const events = FAMILIES * EVENTS_PER_FAMILY;
  const figures: Record<string, number> = { events, appendedEventsPerSec: round(events / appendSeconds), publisherMsPer1000Events: perThousand(cpu[0]!, events) };
  let totalApplied = 0;
  processes.forEach(([name], index) => {
    if (name === "publisher") return;
    const applied = (after.get(name) ?? 0) - (before.get(name) ?? 0);
    totalApplied += applied;
    figures[`projection.${name}`] = perThousand(cpu[index]!, applied);
    figures[`applied.${name}`] = applied;
  });
  const totalCpu = cpu.reduce((a, b) => a + b, 0);
  figures.allMsPer1000Events = perThousand(totalCpu, totalApplied);
  figures.allMsPer1000LogEvents = perThousand(totalCpu, events);
  return figures;
}

/** The median figures of worker_cpu runs, shaped for the JSON. */
export function workerCpuResult(median: Record<string, number>) {
  if (Object.keys(median).length === 0) return null;
  const pick = (prefix: string) =>
    Object.fromEntries(Object.entries(median).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return {
    publisherMsPer1000Events: median.publisherMsPer1000Events,
    projections: pick("projection."),
    allMsPer1000Events: median.allMsPer1000Events,
    allMsPer1000LogEvents: median.allMsPer1000LogEvents,
    applied: pick("applied."),
    events: median.events,
    appendedEventsPerSec: median.appendedEventsPerSec,
  };
}
