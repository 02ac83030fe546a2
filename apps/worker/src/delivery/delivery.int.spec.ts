// End-to-end delivery: real write side, real worker processes, real PostgreSQL and Redis.
// Each scenario has its own database and queue prefix and checks both equalities:
// (a) read models == the independent model of the accepted commands;
// (b) read models == a rebuild from scratch.
import { afterEach, describe, expect, it } from "vitest";
import { leaseHolder, PUBLISHER_LEASE } from "../runtime/lease";
import { deleteKeysWithPrefix } from "../runtime/redis";
import { APPLY_AUDIT_TABLE_SQL } from "../runtime/apply-audit";
import { compareAppliedWithLog, verifyReadModels } from "../test-kit/compare";
import { Random, randomSeed } from "../test-kit/random";
import { TestStack } from "../test-kit/stack";
import { waitUntil } from "../test-kit/wait";
import { generateWorkload } from "../test-kit/workload";

let stack: TestStack | null = null;

afterEach(async () => {
  await stack?.close();
  stack = null;
});

const FAMILIES = 200;
const COMMANDS = 5_000;

async function eventCount(s: TestStack): Promise<number> {
  const { rows } = await s.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
  return rows[0]!.n;
}

describe("delivery to the read models", () => {
  it("processes 5,000 random commands over 200 families with 3 worker processes", async () => {
    const seed = randomSeed();
    stack = await TestStack.create("delivery");
    stack.startWorkers(3);
    await stack.waitForWorkers();
    await stack.run(generateWorkload({ seed, families: FAMILIES, commands: COMMANDS }));
    expect(stack.model.accepted, `seed ${seed}`).toBeGreaterThan(3_500);
    expect(await eventCount(stack)).toBe(stack.model.accepted);
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  it("4 workers on 4 lanes, killed (SIGKILL) at random moments: each event takes effect once, in stream order, and nothing is lost", async () => {
    const seed = randomSeed();
    const rnd = new Random(seed);
    stack = await TestStack.create("kill");
    const s = stack;
    // Every projection records, in its own transactions, what took effect.
    await s.pool.query(APPLY_AUDIT_TABLE_SQL("apply_audit"));
    const env = { PROJECTION_LANES: "4", COOP_APPLY_AUDIT: "apply_audit" };
    s.startWorkers(4, env);
    await s.waitForWorkers();
    let kills = 0;
    const killOne = async () => {
      const victim = rnd.pick(s.running());
      await victim.kill();
      kills++;
      s.startWorker(env); // restarted at once, as an orchestrator would
    };
    await s.run(generateWorkload({ seed, families: FAMILIES, commands: COMMANDS }), {
      concurrency: 8,
      everyMs: 500,
      between: async () => {
        await new Promise((r) => setTimeout(r, rnd.int(0, 300)));
        await killOne();
      },
    });
    // Commands may finish before five kills: keep killing while the projectors catch up.
    while (kills < 5) {
      await new Promise((r) => setTimeout(r, rnd.int(200, 800)));
      await killOne();
    }
    expect(kills).toBeGreaterThanOrEqual(5);
    await stack.waitForHead();
    expect(await eventCount(stack)).toBe(stack.model.accepted);
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
    // The streams spread over the 4 lanes; each stream stayed in order, each event took effect once.
    const { rows: lanes } = await s.pool.query<{ n: number }>("SELECT count(DISTINCT lane)::int AS n FROM projection_lanes WHERE events_processed > 0 AND projection = 'family-detail'");
    expect(lanes[0]!.n).toBe(4);
    expect(await compareAppliedWithLog(s.pool, s.eventStore, "apply_audit"), `seed ${seed}`).toEqual([]);
  });

  it("recovers when every Redis key of the stack is deleted mid-stream", async () => {
    const seed = randomSeed();
    stack = await TestStack.create("redis_loss");
    const s = stack;
    s.startWorkers(3);
    await s.waitForWorkers();
    let flushes = 0;
    let deletedKeys = 0;
    await s.run(generateWorkload({ seed, families: FAMILIES, commands: COMMANDS }), {
      concurrency: 8,
      everyMs: 700,
      between: async () => {
        if (flushes >= 2) return;
        // SCAN MATCH prefix* + UNLINK: FLUSHDB would hit other stacks sharing this Redis.
        const n = await deleteKeysWithPrefix(s.redis, s.prefix);
        if (n > 0) flushes++;
        deletedKeys += n;
      },
    });
    if (flushes === 0) deletedKeys += await deleteKeysWithPrefix(s.redis, s.prefix);
    expect(deletedKeys, "the deletions hit live BullMQ keys").toBeGreaterThan(0);
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
    // Global concurrency is re-asserted by the publisher after the loss.
    await waitUntil("global concurrency to be set again", async () => (await s.redis.hget(`${s.prefix}:projection.family-detail.0:meta`, "concurrency")) === "1", {
      timeoutMs: 15_000,
    });
  });

  it("hands publishing to another process when the publisher's process is killed", async () => {
    const seed = randomSeed();
    stack = await TestStack.create("failover");
    const s = stack;
    const workers = s.startWorkers(3);
    const holderPid = async () => {
      const holder = await leaseHolder(s.pool, PUBLISHER_LEASE);
      const pid = holder ? Number(/^coop-worker:[^:]*:(\d+):/.exec(holder.holder)?.[1]) : null;
      return pid && s.running().some((w) => w.pid === pid) ? pid : null;
    };
    const first = await waitUntil("a publisher to become active", holderPid, { timeoutMs: 60_000, describe: () => s.describe() });
    const takeovers: number[] = [];
    const workload = generateWorkload({ seed, families: FAMILIES, commands: COMMANDS });
    await s.run(workload, {
      concurrency: 8,
      everyMs: 1_000,
      between: async () => {
        if (takeovers.length >= 2) return;
        const pid = await holderPid();
        const victim = workers.concat(s.workers).find((w) => w.pid === pid && w.running);
        if (!victim) return;
        await victim.kill();
        const killedAt = Date.now();
        const next = await waitUntil("another process to take the publisher lock", async () => {
          const p = await holderPid();
          return p && p !== pid ? p : null;
        }, { timeoutMs: 15_000, intervalMs: 25, describe: () => s.describe() });
        takeovers.push(Date.now() - killedAt);
        expect(next).not.toBe(pid);
        s.startWorker();
      },
    });
    expect(first).toBeTruthy();
    expect(takeovers.length, "the publisher was killed during the run").toBeGreaterThan(0);
    console.info(`publisher takeover after SIGKILL: ${takeovers.map((ms) => `${ms} ms`).join(", ")}`);
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });
});
