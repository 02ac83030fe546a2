// Faults of the infrastructure itself (CONTRACT section 10), provoked for real on a PostgreSQL
// cluster and a Redis server of the test's own (never the machine's shared ones), with a real
// gateway and two real workers under a stream of commands over HTTP:
// - PostgreSQL stopped in immediate mode (a crash) and started again, twice;
// - Redis killed and started again with every key lost;
// - a worker frozen with SIGSTOP for 20 s, then the publisher frozen for 20 s;
// - a worker killed with SIGKILL.
// No process may exit (but the one killed); /readyz names what is down and is back within 10 s of
// its return; the command rate is back within 10 s; a frozen or killed worker holds nothing up for
// more than 15 s (the publisher's lease, its lanes' job locks, its open transaction); and at the
// end every read model equals a rebuild and the test's own model of the acknowledged commands.
// Each recovery must stay within twice the stated time; the measured times are printed.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, migrate } from "@coop/database";
import { loadConfig } from "@coop/config";
import { EventStore, compareCheckpoints } from "@coop/event-store";
import { projectionCheckpoint, readLanes, readProjections, readPublisher } from "@coop/projection-state";
import { leaseHolder, PUBLISHER_LEASE } from "../runtime/lease";
import { freePort, personalDataEventStore } from "@coop/process";
import { verifyReadModels } from "../test-kit/compare";
import { HttpCommands } from "../test-kit/http-commands";
import { ExpectedModel } from "../test-kit/model";
import { PrivatePostgres } from "../test-kit/private-postgres";
import { PrivateRedis } from "../test-kit/private-redis";
import { randomSeed } from "../test-kit/random";
import { waitUntil } from "../test-kit/wait";
import { generateWorkload } from "../test-kit/workload";
import { GATEWAY_DIR, WorkerProcess } from "../test-kit/workers";

const JWT_SECRET = "fault-tests-secret-0123456789abcdef";
const SECONDS = 1_000;

let postgres: PrivatePostgres;
let redis: PrivateRedis;
let pool: pg.Pool;
let gateway: WorkerProcess;
let gatewayUrl = "";
const workers: WorkerProcess[] = [];
let prefix = "";

interface Sample {
  at: number;
  ready: Record<string, number>; // process label -> HTTP status of /readyz (0: no answer)
  lagSeconds: number | null; // age of the oldest event some projection has not applied (null: unknown)
}
const samples: Sample[] = [];
let monitoring = true;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([PrivatePostgres.start(), PrivateRedis.start()]);
  const url = postgres.url("coop_faults");
  await migrate(url, { log: () => undefined });
  pool = createPool(url, { max: 4, application_name: "fault-test", onError: () => undefined });
  prefix = `coop-faults-${randomBytes(4).toString("hex")}`;
  const env = { DATABASE_URL: url, REDIS_URL: redis.url, QUEUE_PREFIX: prefix, JWT_SECRET, LOG_LEVEL: "info" };
  const port = await freePort();
  gateway = new WorkerProcess("gateway", { ...env, PORT: String(port) }, GATEWAY_DIR);
  gatewayUrl = `http://127.0.0.1:${port}`;
  for (const label of ["worker-1", "worker-2"]) workers.push(new WorkerProcess(label, env));
  await Promise.all([gateway.httpPort(60_000), ...workers.map((w) => w.httpPort(60_000))]);
  void monitor();
}, 180_000);

afterAll(async () => {
  monitoring = false;
  await Promise.all([gateway, ...workers].filter(Boolean).map((p) => p.stop(10_000).catch(() => undefined)));
  await pool?.end().catch(() => undefined);
  await redis?.destroy();
  await postgres?.destroy();
});

/** Every 250 ms: each process's /readyz, and how far behind the projections are. */
async function monitor(): Promise<void> {
  while (monitoring) {
    const at = Date.now();
    const ready: Record<string, number> = {};
    await Promise.all(
      [gateway, ...workers].map(async (p) => {
        try {
          const port = await p.httpPort(1);
          ready[p.label] = (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) })).status;
        } catch {
          ready[p.label] = 0;
        }
      }),
    );
    samples.push({ at, ready, lagSeconds: await lagSeconds().catch(() => null) });
    await sleep(Math.max(0, 250 - (Date.now() - at)));
  }
}

/** The age of the oldest event that some projection has not applied yet (0 when all caught up). */
async function lagSeconds(): Promise<number> {
  const [rows, lanes, publisher] = await Promise.all([readProjections(pool), readLanes(pool), readPublisher(pool)]);
  let oldest = 0;
  for (const row of rows) {
    const at = projectionCheckpoint(lanes.filter((l) => l.projection === row.name), publisher);
    const { rows: next } = await pool.query<{ age: number | null }>(
      `SELECT extract(epoch FROM now() - e.recorded_at)::float8 AS age FROM events e
        WHERE (e.transaction_id, e.position) > ($1::bigint, $2::bigint) ORDER BY e.transaction_id, e.position LIMIT 1`,
      [at.transactionId, at.position],
    );
    oldest = Math.max(oldest, next[0]?.age ?? 0);
  }
  return oldest;
}

/** Seconds from `from` until every listed process's /readyz answered `status` (null if never). */
function secondsUntilReady(from: number, labels: string[], status = 200): number | null {
  const hit = samples.find((s) => s.at >= from && labels.every((l) => s.ready[l] === status));
  return hit ? (hit.at - from) / SECONDS : null;
}

/** Seconds from `from` until the projections' lag was back under `maxLag` seconds. */
function secondsUntilCaughtUp(from: number, maxLag = 2): number | null {
  const hit = samples.find((s) => s.at >= from && s.lagSeconds !== null && s.lagSeconds < maxLag);
  return hit ? (hit.at - from) / SECONDS : null;
}

/**
 * `seconds()` once it has an answer, else once `limit` seconds (and the 2 s a rate needs to be
 * seen) have passed since `from`: a fixed wait shorter than the limit would call a slow recovery
 * that is still within it "never".
 */
async function untilWithin(from: number, limit: number, seconds: () => number | null): Promise<number | null> {
  for (;;) {
    const found = seconds();
    if (found !== null || Date.now() > from + (limit + 2) * SECONDS) return found;
    await sleep(250);
  }
}

/** Definite answers per second over [from, from + windowMs). */
function rate(commands: HttpCommands, from: number, windowMs: number): number {
  return commands.log.answers.filter((t) => t >= from && t < from + windowMs).length / (windowMs / SECONDS);
}

/** Seconds from `from` until a 2-second window's rate reached `share` of `baseline` (null if never). */
function secondsUntilRate(commands: HttpCommands, from: number, baseline: number, share = 0.7): number | null {
  for (let t = from; t < Date.now() - 2_000; t += 250) if (rate(commands, t, 2_000) >= baseline * share) return (t - from) / SECONDS;
  return null;
}

async function waitCaughtUp(timeoutMs: number): Promise<void> {
  await waitUntil(
    "every projection to reach the head",
    async () => {
      const head = await new EventStore(pool).head();
      if (!head) return true;
      const [rows, lanes, publisher] = await Promise.all([readProjections(pool), readLanes(pool), readPublisher(pool)]);
      return rows.every((r) => r.status === "RUNNING" && compareCheckpoints(projectionCheckpoint(lanes.filter((l) => l.projection === r.name), publisher), head) >= 0);
    },
    { timeoutMs, intervalMs: 250 },
  );
}

async function publisherProcess(): Promise<WorkerProcess | null> {
  const holder = await leaseHolder(pool, PUBLISHER_LEASE);
  const pid = holder ? Number(/^coop-worker:[^:]*:(\d+):/.exec(holder.holder)?.[1]) : null;
  return workers.find((w) => w.running && w.pid === pid) ?? null;
}

describe("faults of the infrastructure", () => {
  it("PostgreSQL crashes twice, Redis loses every key, workers freeze and die: nothing exits, everything recovers in time, nothing is lost or doubled", async () => {
    const model = new ExpectedModel();
    const commands = new HttpCommands(() => gatewayUrl, JWT_SECRET, model);
    let stop = false;
    const workload = generateWorkload({ seed: randomSeed(), families: 120, commands: 200_000 });
    const sending = commands.run(workload, { concurrency: 4, stop: () => stop, paceMs: 15 });
    sending.catch(() => undefined); // awaited at the end
    const report: string[] = [];
    const failures: string[] = [];
    const within = (what: string, seconds: number | null, limit: number) => {
      report.push(`${what}: ${seconds === null ? "never" : `${seconds.toFixed(1)} s`} (allowed ${limit} s)`);
      if (seconds === null || seconds > limit) failures.push(`${what} took ${seconds === null ? "forever" : `${seconds.toFixed(1)} s`}, more than ${limit} s`);
    };
    const everyone = () => ["gateway", ...workers.filter((w) => w.running).map((w) => w.label)];

    try {
      await sleep(8_000);
      const baseline = rate(commands, Date.now() - 6_000, 6_000);
      report.push(`baseline: ${baseline.toFixed(1)} commands/s`);
      expect(baseline).toBeGreaterThan(5);

      // 1 and 2. PostgreSQL crashes (immediate stop), is away for a few seconds, comes back; twice.
      for (const round of [1, 2]) {
        const before = rate(commands, Date.now() - 4_000, 4_000);
        await postgres.stopServer("immediate");
        const down = Date.now();
        await sleep(4_000);
        const sawDown = samples.some((s) => s.at > down + 1_000 && s.ready.gateway === 503);
        await postgres.startServer();
        const back = Date.now();
        await sleep(15_000);
        expect(sawDown, "/readyz said 503 while PostgreSQL was down").toBe(true);
        within(`PostgreSQL crash ${round}: /readyz 200 on every process after its return`, await untilWithin(back, 20, () => secondsUntilReady(back, everyone())), 20);
        within(`PostgreSQL crash ${round}: command rate back after its return`, await untilWithin(back, 20, () => secondsUntilRate(commands, back, before)), 20);
        within(`PostgreSQL crash ${round}: projections caught up after its return`, await untilWithin(back, 30, () => secondsUntilCaughtUp(back)), 30);
      }

      // 3. Redis restarts with every key lost.
      {
        await redis.kill();
        const down = Date.now();
        await sleep(3_000);
        const sawDown = samples.some((s) => s.at > down + 500 && s.ready.gateway === 503);
        await redis.startServer();
        const back = Date.now();
        await sleep(15_000);
        expect(sawDown, "/readyz said 503 while Redis was down").toBe(true);
        within("Redis restart: /readyz 200 on every process after its return", await untilWithin(back, 20, () => secondsUntilReady(back, everyone())), 20);
        within("Redis restart: projections caught up after its return", await untilWithin(back, 30, () => secondsUntilCaughtUp(back)), 30);
      }

      // 4. A worker that is not the publisher freezes for 20 s (its lanes' job locks, maybe an open transaction).
      {
        await waitCaughtUp(60_000);
        const publisher = await publisherProcess();
        const frozen = workers.find((w) => w.running && w !== publisher)!;
        frozen.freeze();
        const at = Date.now();
        await sleep(20_000);
        frozen.thaw();
        within("a worker frozen (SIGSTOP): the others keep the projections caught up", secondsUntilCaughtUp(at + 1_000), 30);
        await sleep(5_000);
      }

      // 5. The publisher freezes for 20 s: another worker takes its lease.
      {
        await waitCaughtUp(60_000);
        const frozen = (await publisherProcess())!;
        expect(frozen, "a worker holds the publisher's lease").toBeTruthy();
        frozen.freeze();
        const at = Date.now();
        const takenOver = await waitUntil("another worker to take the publisher's lease", async () => {
          const now = await publisherProcess();
          return now && now !== frozen ? Date.now() : null;
        }, { timeoutMs: 30_000, intervalMs: 100 }).catch(() => null);
        within("the publisher frozen (SIGSTOP): another worker publishes", takenOver === null ? null : (takenOver - at) / SECONDS, 30);
        await sleep(Math.max(0, 20_000 - (Date.now() - at)));
        frozen.thaw();
        within("the publisher frozen (SIGSTOP): projections caught up", secondsUntilCaughtUp(at + 1_000), 30);
        await sleep(5_000);
      }

      // 6. A worker is killed (SIGKILL): its lanes move on within about 5 s (the job lock).
      {
        await waitCaughtUp(60_000);
        const victim = workers[0]!;
        await victim.kill();
        const at = Date.now();
        await sleep(10_000);
        within("a worker killed (SIGKILL): projections caught up", secondsUntilCaughtUp(at + 500), 10);
      }
    } finally {
      stop = true;
      await sending.catch((error: unknown) => failures.push(`the command stream failed: ${(error as Error).message}`));
    }

    await waitCaughtUp(120_000);
    report.push(`commands: ${model.accepted} accepted, ${model.refused} refused, ${commands.log.retries.length} sent again after an answer that was not definite`);
    console.info(`faults of the infrastructure, measured:\n  ${report.join("\n  ")}`);

    // No process exited but the one killed on purpose.
    expect(gateway.running, gateway.log()).toBe(true);
    expect(workers[1]!.running, workers[1]!.log()).toBe(true);
    expect(failures).toEqual([]);
    // Nothing lost, nothing doubled: the read models equal the model of what was acknowledged, and a rebuild.
    // The gateway sealed personal fields with the test's (development) secret: read them with it.
    const eventStore = personalDataEventStore(pool, loadConfig({ NODE_ENV: "test" }));
    await verifyReadModels(pool, eventStore, model);
    // Every command the gateway acknowledged is in the store; nothing else is.
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
    expect(rows[0]!.n).toBe(model.accepted);
    // The queues were made again in the Redis that lost them.
    const probe = new Redis(redis.url);
    const keys = await probe.keys(`${prefix}:*`).finally(() => probe.quit());
    expect(keys.length).toBeGreaterThan(0);
  }, 600_000);
});
