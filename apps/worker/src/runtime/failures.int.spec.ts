// Projections that fail: a poison event parks its own stream (sequenced dead letters), the rest goes
// on, and `retry` after the fix or `skip` with a reason lets it go on too; a fault that passes
// within the retry window heals by itself; failures across many streams stop the projection
// (ERROR), which tries again by itself and resumes once the fault is gone; a worker start does not
// clear another process's ERROR. Also: the ops CLI's usage errors, jobs lost or unknown, and the
// worker's HTTP endpoints and metrics.
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProjectionsCli } from "../test-kit/cli";
import { compareWithRebuild, verifyReadModels } from "../test-kit/compare";
import { randomSeed } from "../test-kit/random";
import { TestStack } from "../test-kit/stack";
import { waitUntil } from "../test-kit/wait";
import { generateWorkload } from "../test-kit/workload";
import type { WorkerEnv } from "../test-kit/workers";
import { queueName } from "./jobs";

const POISON = "tx-poison";
const FAULT = `payment-analytics:transactionId=${POISON}`;
/** Fast retries and no automatic retry of parked streams: the tests say when. */
const QUICK: Partial<WorkerEnv> = { PROJECTION_RETRY_WINDOW_MS: "800", PROJECTION_PARK_RETRY_MS: "600000" };

let stack: TestStack;

beforeAll(async () => {
  stack = await TestStack.create("failures");
});

afterAll(async () => {
  await stack?.close();
});

async function parked(name: string): Promise<number> {
  const { rows } = await stack.pool.query<{ n: number }>("SELECT coalesce(sum(parked_streams), 0)::int AS n FROM projection_lanes WHERE projection = $1", [name]);
  return rows[0]!.n;
}

/** A family of its own, enrolled through the bus (and the model). */
async function newFamily(): Promise<{ id: string; t: string }> {
  const id = crypto.randomUUID();
  await stack.dispatch("tenant-a", {
    type: "EnrollFamily",
    payload: { familyId: id, familyName: `Poisoned ${id.slice(0, 6)}`, enrollmentDate: "2024-05-01", parentName: "Pat Poison", email: "pat@example.org", phone: null },
  });
  return { id, t: "tenant-a" };
}

async function restart(env: Partial<WorkerEnv>, count = 2): Promise<void> {
  await Promise.all(stack.running().map((w) => w.stop()));
  stack.startWorkers(count, env);
  await stack.waitForWorkers();
}

describe("a poison event", () => {
  it("parks its stream only; the other streams and projections go on; retry after the fix applies the parked events in order", async () => {
    await restart({ ...QUICK, COOP_FAULT_INJECTION: FAULT }, 3);
    const seed = randomSeed();
    await stack.run(generateWorkload({ seed, families: 60, commands: 1_500, poisonTransactionId: POISON }));
    // Every projection reaches the head: the parked events sit in the dead letters, not in the way.
    await stack.waitForHead();
    expect(await parked("payment-analytics")).toBe(1);
    const rows = await stack.projectionRows();
    expect(rows.every((r) => r.status === "RUNNING"), JSON.stringify(rows)).toBe(true);

    const letters = await runProjectionsCli(["dead-letters", "payment-analytics", "--json"], stack.workerEnv());
    expect(letters.code, letters.stderr).toBe(0);
    const [stream] = JSON.parse(letters.stdout) as { streamId: string; eventType: string; error: string; attempts: number; waiting: number }[];
    expect(stream).toMatchObject({ eventType: "PaymentReceived", error: expect.stringContaining("injected fault") });
    expect(stream!.attempts).toBeGreaterThan(1);
    const status = await runProjectionsCli(["status"], stack.workerEnv());
    expect(status.stdout).toMatch(/payment-analytics\s+1\s+4\s+\d+\s+\d+\s+\d+\s+RUNNING\s+1\s/);

    // The other projections are exact already; payment-analytics lacks exactly the parked stream.
    const problems = (await compareWithRebuild(stack.pool, stack.eventStore)).join("\n");
    expect(problems).not.toMatch(/family_views|at_risk|coordinator|family_comments/);

    // The fix: workers without the fault, and a retry (here by hand; by itself at a slow pace).
    await restart(QUICK);
    const retried = await runProjectionsCli(["retry", "payment-analytics"], stack.workerEnv());
    expect(retried.code, `${retried.stdout}\n${retried.stderr}`).toBe(0);
    expect(retried.stdout).toMatch(/parked events applied; the stream goes on/);
    expect(await parked("payment-analytics")).toBe(0);
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  it("is retried by itself at a slow pace once the fault is gone", async () => {
    await restart({ ...QUICK, COOP_FAULT_INJECTION: FAULT });
    const family = await newFamily();
    await stack.dispatch(family.t, { type: "RecordPayment", payload: { familyId: family.id, amountCents: 500, paidOn: "2025-01-02", dueOn: null, method: "CASH", transactionId: POISON } });
    await waitUntil("the poison payment to be parked", async () => (await parked("payment-analytics")) === 1, { timeoutMs: 30_000, describe: () => stack.describe() });
    await restart({ PROJECTION_RETRY_WINDOW_MS: "800", PROJECTION_PARK_RETRY_MS: "1000" });
    await waitUntil("the parked stream to be retried by itself", async () => (await parked("payment-analytics")) === 0, { timeoutMs: 30_000, describe: () => stack.describe() });
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  it("skip: the failing event is skipped with who and why, named in status; the stream goes on", async () => {
    await restart({ ...QUICK, COOP_FAULT_INJECTION: FAULT });
    const family = await newFamily();
    const payment = (transactionId: string, amountCents: number) =>
      stack.dispatch(family.t, { type: "RecordPayment", payload: { familyId: family.id, amountCents, paidOn: "2025-02-03", dueOn: null, method: "CARD", transactionId } });
    await payment(`${POISON}`, 700);
    await payment("tx-after-the-poison", 900); // waits behind it, in order
    await waitUntil("the stream to be parked with the later event behind it", async () => {
      const { rows } = await stack.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM dead_letters WHERE projection = 'payment-analytics' AND stream_id = $1", [family.id]);
      return rows[0]!.n === 2;
    }, { timeoutMs: 30_000, describe: () => stack.describe() });

    const refused = await runProjectionsCli(["skip", "payment-analytics", family.id], stack.workerEnv());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("skip needs --reason");
    const skipped = await runProjectionsCli(["skip", "payment-analytics", family.id, "--reason", "duplicate import, refunded", "--by", "ops-alice"], stack.workerEnv());
    expect(skipped.code, `${skipped.stdout}\n${skipped.stderr}`).toBe(0);
    expect(skipped.stdout).toMatch(/skipped PaymentReceived at position \d+ \(by ops-alice: duplicate import, refunded\)/);
    expect(skipped.stdout).toMatch(/parked events applied; the stream goes on/);
    expect(await parked("payment-analytics")).toBe(0);
    const status = await runProjectionsCli(["status"], stack.workerEnv());
    expect(status.stdout).toMatch(/payment-analytics: PaymentReceived at position \d+ .*skipped by ops-alice .*: duplicate import, refunded/);
    // The event after the skipped one was applied; the skipped one was not.
    const { rows } = await stack.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM payment_month_families WHERE family_id = $1 AND month = '2025-02-01'",
      [family.id],
    );
    expect(rows[0]!.n).toBe(1);
    // Keep the model honest for the next tests: the skipped payment is not in payment-analytics. A
    // rebuild (without the fault) brings it back: that is what the rebuild test elsewhere shows.
    await restart(QUICK);
    const rebuilt = await runProjectionsCli(["rebuild", "payment-analytics"], stack.workerEnv());
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });
});

describe("faults that are not one event's", () => {
  it("a fault that passes within the retry window heals by itself: nothing parked, no ERROR", async () => {
    await restart({ PROJECTION_RETRY_WINDOW_MS: "60000", PROJECTION_PARK_RETRY_MS: "600000" });
    await stack.pool.query("ALTER TABLE at_risk_families RENAME TO at_risk_families_away");
    const commands = stack.run(generateWorkload({ seed: randomSeed(), families: 20, commands: 300 }));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await stack.pool.query("ALTER TABLE at_risk_families_away RENAME TO at_risk_families");
    await commands;
    await stack.waitForHead();
    expect(await parked("at-risk")).toBe(0);
    expect((await stack.projectionRows()).find((r) => r.name === "at-risk")!.status).toBe("RUNNING");
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  it("failures across many streams stop the projection (ERROR); it tries again by itself, and resumes once the fault is gone", async () => {
    // Every contact fails in at-risk: many streams at once, beyond a park limit of 2.
    const manyFail = { PROJECTION_RETRY_WINDOW_MS: "500", PROJECTION_PARK_LIMIT: "2", PROJECTION_ERROR_RETRY_MS: "1500", COOP_FAULT_INJECTION: "at-risk:method=PHONE" };
    await restart(manyFail);
    const commands = stack.run(generateWorkload({ seed: randomSeed(), families: 30, commands: 600 }));
    const stopped = await waitUntil(
      "at-risk to stop (ERROR)",
      async () => {
        const row = (await stack.projectionRows()).find((r) => r.name === "at-risk");
        return row?.status === "ERROR" ? row : null;
      },
      { timeoutMs: 60_000, describe: () => stack.describe() },
    );
    expect(stopped.lastError).toMatch(/streams failed at once .*PROJECTION_PARK_LIMIT 2.*injected fault/s);
    await commands;
    await stack.waitForHead(["family-detail", "payment-analytics", "family-comments", "coordinator-caseload"]);
    // While in ERROR, no jobs pile up in its lane queues.
    const queues = [0, 1, 2, 3].map((lane) => new Queue(queueName("at-risk", lane), { connection: stack.redis, prefix: stack.prefix }));
    try {
      // It tries again by itself (RUNNING for a moment), and stops again while the fault lasts.
      await waitUntil("at-risk to try again by itself", async () => (await stack.projectionRows()).find((r) => r.name === "at-risk")!.status === "RUNNING", {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      await waitUntil("at-risk to stop again", async () => (await stack.projectionRows()).find((r) => r.name === "at-risk")!.status === "ERROR", { timeoutMs: 30_000 });
      const waiting = await Promise.all(queues.map((q) => q.getWaitingCount()));
      expect(waiting.reduce((a, b) => a + b, 0)).toBeLessThan(5);

      // A worker start does not clear it: only time (its own retry) or an operator does.
      await restart({ PROJECTION_ERROR_RETRY_MS: "600000" });
      expect((await stack.projectionRows()).find((r) => r.name === "at-risk")!.status).toBe("ERROR");
      const resumed = await runProjectionsCli(["resume", "at-risk"], stack.workerEnv());
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain("at-risk: RUNNING");
      await stack.waitForHead();
      await verifyReadModels(stack.pool, stack.eventStore, stack.model);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });
});

describe("jobs and operations", () => {
  it("a job whose data vanished from Redis, or of an unknown name, is dropped; the lane stays RUNNING and exact", async () => {
    await restart(QUICK);
    const queue = new Queue(queueName("at-risk", 0), { connection: stack.redis, prefix: stack.prefix });
    try {
      // What a deletion of the stack's keys can leave behind: a queued job id whose hash is gone.
      const ghost = `ghost-${Date.now()}`;
      await stack.redis.lpush(queue.keys.wait!, ghost);
      await stack.redis.zadd(queue.keys.marker!, 0, "0");
      await queue.add("bogus", { lanes: 4, prev: { transactionId: "0", position: "0" }, last: { transactionId: "0", position: "0" }, events: [] });
      await waitUntil("the ghost job to leave the wait and active lists", async () => {
        const [waiting, active] = await Promise.all([stack.redis.lrange(queue.keys.wait!, 0, -1), stack.redis.lrange(queue.keys.active!, 0, -1)]);
        return !waiting.includes(ghost) && !active.includes(ghost) && (await queue.getWaitingCount()) === 0;
      }, { timeoutMs: 30_000, describe: () => stack.describe() });
    } finally {
      await queue.close();
    }
    await stack.run(generateWorkload({ seed: randomSeed(), families: 10, commands: 100 }));
    await stack.waitForHead();
    expect((await stack.projectionRows()).find((r) => r.name === "at-risk")!.status).toBe("RUNNING");
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  it("a pool smaller than the lanes (WORKER_DB_POOL=4 for 20 lanes) still catches up: a lane transaction never waits on a connection its peers hold", async () => {
    await Promise.all(stack.running().map((w) => w.stop()));
    // Events pile up while no worker runs: each lane then reads its gap from the event store
    // (a second connection) inside its own transaction.
    await stack.run(generateWorkload({ seed: randomSeed(), families: 40, commands: 400 }));
    const [worker] = stack.startWorkers(1, { ...QUICK, WORKER_DB_POOL: "4", LOG_LEVEL: "warn" });
    await stack.waitForWorkers();
    await stack.waitForHead(undefined, 60_000);
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
    // Starved lanes would get there too, but through timeouts: each failure is a warning.
    expect(worker!.log()).not.toMatch(/retrying|waiting for it|timeout/i);
    await restart(QUICK);
  });

  it("the CLI refuses bad usage with exit code 2", async () => {
    const unknown = await runProjectionsCli(["resume", "no-such-projection"], stack.workerEnv());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown projection "no-such-projection"');
    expect(unknown.stderr).toContain("family-detail, at-risk, payment-analytics");
    const badCommand = await runProjectionsCli(["frobnicate"], stack.workerEnv());
    expect(badCommand.code).toBe(2);
    expect(badCommand.stderr).toContain('unknown command "frobnicate"');
    const notParked = await runProjectionsCli(["retry", "at-risk", "11111111-1111-4111-8111-111111111111"], stack.workerEnv());
    expect(notParked.code).toBe(2);
    expect(notParked.stderr).toContain("no parked stream");
  });

  it("status lists lanes, the publisher, the workers and the watermark; --json says the same", async () => {
    const text = await runProjectionsCli(["status", "--lanes"], stack.workerEnv());
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/PROJECTION\s+LANE\s+CHECKPOINT/);
    expect(text.stdout).toMatch(/family-detail\s+3\s/);
    expect(text.stdout).toMatch(/publisher: checkpoint \d+\/\d+ .* active in coop-worker:/);
    expect(text.stdout).toMatch(/^watermark: /m);
    expect(text.stdout).toMatch(/^workers: coop-worker:/m);
    const json = JSON.parse((await runProjectionsCli(["status", "--json"], stack.workerEnv())).stdout) as {
      projections: { name: string; lanes: number; laneDetails: unknown[]; status: string }[];
      workers: { publisher: boolean; silent: boolean }[];
    };
    expect(json.projections.map((p) => p.name)).toEqual(["family-detail", "at-risk", "payment-analytics", "family-comments", "coordinator-caseload"]);
    expect(json.projections.every((p) => p.lanes === 4 && p.laneDetails.length === 4 && p.status === "RUNNING")).toBe(true);
    expect(json.workers.filter((w) => w.publisher && !w.silent)).toHaveLength(1);
  });

  it("serves /healthz, /readyz, /metrics and the dashboard at /queues", async () => {
    const password = "failures-test-dashboard-password";
    const worker = stack.startWorker({ LOG_LEVEL: "info", DASHBOARD_PASSWORD: password });
    const base = `http://127.0.0.1:${await worker.httpPort()}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", pid: worker.pid });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { postgres: "up", redis: "up" } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'coop_worker_projection_status{projection="family-detail",status="RUNNING"} 1',
      'coop_worker_projection_lanes{projection="family-detail"} 4',
      'coop_worker_projection_lag_events{projection="family-detail",lane="0"}',
      'coop_worker_projection_lag_seconds{projection="family-detail",lane="3"}',
      'coop_worker_projection_idle_seconds{projection="at-risk",lane="1"}',
      'coop_worker_projection_parked_streams{projection="payment-analytics",lane="2"} 0',
      "coop_worker_publisher_lag_events",
      'coop_worker_processes{state="live"}',
      "# TYPE coop_worker_projection_batch_size histogram",
      "coop_worker_events_published_total",
      "coop_worker_publisher_active",
      "process_cpu_user_seconds_total",
    ]) {
      expect(metrics, name).toContain(name);
    }
    expect((await fetch(`${base}/queues`)).status).toBe(401);
    const board = await fetch(`${base}/queues`, { headers: { authorization: `Basic ${Buffer.from(`ops:${password}`).toString("base64")}` } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain("<html");
    // Without DASHBOARD_PASSWORD, outside development (the tests run with NODE_ENV=test): no dashboard.
    const plain = stack.startWorker({ LOG_LEVEL: "info" });
    expect((await fetch(`http://127.0.0.1:${await plain.httpPort()}/queues`)).status).toBe(404);
  });
});
