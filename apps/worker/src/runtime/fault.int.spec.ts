// A projection that fails on one event stops alone (ERROR, queue paused), the others finish; once
// the fault is gone it resumes from its checkpoint and catches up. Also: the ops CLI (status,
// resume, usage errors), graceful shutdown, and the worker's HTTP endpoints.
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueName } from "./jobs";
import { runProjectionsCli } from "../test-kit/cli";
import { verifyReadModels } from "../test-kit/compare";
import { randomSeed } from "../test-kit/random";
import { TestStack } from "../test-kit/stack";
import { waitUntil } from "../test-kit/wait";
import { generateWorkload } from "../test-kit/workload";

const POISON = "tx-poison";
const FAULT = `payment-analytics:transactionId=${POISON}`;

let stack: TestStack;
let analyticsQueue: Queue;
let atRiskQueue: Queue;

beforeAll(async () => {
  stack = await TestStack.create("fault");
  analyticsQueue = new Queue(queueName("payment-analytics"), { connection: stack.redis, prefix: stack.prefix });
  atRiskQueue = new Queue(queueName("at-risk"), { connection: stack.redis, prefix: stack.prefix });
});

afterAll(async () => {
  await analyticsQueue?.close();
  await atRiskQueue?.close();
  await stack?.close();
});

describe("a failing projection", () => {
  it("stops alone with its error, then resumes and catches up once the fault is gone", async () => {
    const seed = randomSeed();
    const faulty = stack.startWorkers(3, { COOP_FAULT_INJECTION: FAULT });
    await stack.waitForWorkers();
    await stack.run(generateWorkload({ seed, families: 100, commands: 2_000, poisonTransactionId: POISON }));

    const stopped = await waitUntil(
      "payment-analytics to stop with the injected error",
      async () => {
        const row = (await stack.projectionRows()).find((r) => r.name === "payment-analytics");
        return row?.status === "ERROR" ? row : null;
      },
      { timeoutMs: 60_000, describe: () => stack.describe() },
    );
    expect(stopped.lastError).toContain("injected fault");
    expect(stopped.lastError).toContain(POISON);
    await stack.waitForHead(["family-detail", "at-risk"]);
    expect(await analyticsQueue.isPaused()).toBe(true);

    const status = await runProjectionsCli(["status"], stack.workerEnv());
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/payment-analytics\s+\d+\s+\d+\s+[1-9]\d*\s+ERROR/);
    expect(status.stdout).toMatch(/family-detail\s+\d+\s+\d+\s+0\s+RUNNING/);
    expect(status.stdout).toContain("injected fault");

    // Graceful shutdown: SIGTERM finishes the job in hand and exits 0.
    const codes = await Promise.all(faulty.map((w) => w.stop()));
    expect(codes).toEqual([0, 0, 0]);

    // Without the fault, a worker start resumes the ERROR projection from its checkpoint.
    stack.startWorkers(2);
    await stack.waitForHead();
    const row = (await stack.projectionRows()).find((r) => r.name === "payment-analytics")!;
    expect(row.lastError).toBeNull();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  it("resumes with `projections resume NAME` and refuses bad usage with exit code 2", async () => {
    // An operator-visible stop, by hand: the projection waits while events keep coming.
    await stack.pool.query("UPDATE projections SET status = 'ERROR', last_error = 'stopped by the test' WHERE name = 'at-risk'");
    await atRiskQueue.pause();
    await stack.run(generateWorkload({ seed: randomSeed(), families: 20, commands: 300 }));
    await stack.waitForHead(["family-detail", "payment-analytics"]);
    const behind = (await stack.projectionRows()).find((r) => r.name === "at-risk")!;
    expect(behind.status).toBe("ERROR");

    const resumed = await runProjectionsCli(["resume", "at-risk"], stack.workerEnv());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("at-risk: RUNNING");
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);

    const unknown = await runProjectionsCli(["resume", "no-such-projection"], stack.workerEnv());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown projection "no-such-projection"');
    expect(unknown.stderr).toContain("family-detail, at-risk, payment-analytics");
    const badCommand = await runProjectionsCli(["frobnicate"], stack.workerEnv());
    expect(badCommand.code).toBe(2);
    expect(badCommand.stderr).toContain('unknown command "frobnicate"');
  });

  it("stops a projection on a job it does not know, until resumed", async () => {
    await atRiskQueue.add("bogus", { prev: { transactionId: "0", position: "0" }, last: { transactionId: "0", position: "0" }, events: [] });
    const stopped = await waitUntil(
      "at-risk to stop on the unknown job name",
      async () => {
        const row = (await stack.projectionRows()).find((r) => r.name === "at-risk");
        return row?.status === "ERROR" ? row : null;
      },
      { timeoutMs: 30_000, describe: () => stack.describe() },
    );
    expect(stopped.lastError).toContain('unknown job name "bogus"');
    const resumed = await runProjectionsCli(["resume", "at-risk"], stack.workerEnv());
    expect(resumed.code, resumed.stderr).toBe(0);
    await stack.run(generateWorkload({ seed: randomSeed(), families: 10, commands: 100 }));
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  it("skips a job whose data vanished from Redis, and stays RUNNING", async () => {
    // What a deletion of the stack's keys can leave behind: a queued job id whose hash is gone.
    const ghost = `ghost-${Date.now()}`;
    await stack.redis.lpush(atRiskQueue.keys.wait!, ghost);
    await stack.redis.zadd(atRiskQueue.keys.marker!, 0, "0");
    await waitUntil("the ghost job to leave the wait list", async () => !(await stack.redis.lrange(atRiskQueue.keys.wait!, 0, -1)).includes(ghost), {
      timeoutMs: 30_000,
      describe: () => stack.describe(),
    });
    // Nor may it linger as "active": the reconcile tick would take the queue for busy forever.
    await waitUntil("the ghost job to leave the active list", async () => !(await stack.redis.lrange(atRiskQueue.keys.active!, 0, -1)).includes(ghost), {
      timeoutMs: 30_000,
      describe: async () => `active: ${(await stack.redis.lrange(atRiskQueue.keys.active!, 0, -1)).join(", ")}`,
    });
    await stack.run(generateWorkload({ seed: randomSeed(), families: 10, commands: 100 }));
    await stack.waitForHead();
    const row = (await stack.projectionRows()).find((r) => r.name === "at-risk");
    expect(row?.status).toBe("RUNNING");
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  it("serves /healthz, /readyz, /metrics and the dashboard at /queues", async () => {
    const password = "fault-test-dashboard-password";
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
      "coop_worker_projection_lag_events",
      "coop_worker_projection_lag_seconds",
      "# TYPE coop_worker_projection_batch_size histogram",
      "# TYPE coop_worker_projection_batch_duration_seconds histogram",
      "coop_worker_queue_depth",
      "coop_worker_events_published_total",
      "coop_worker_publisher_active",
      "process_cpu_user_seconds_total",
    ]) {
      expect(metrics, name).toContain(name);
    }
    expect(metrics).toMatch(/coop_worker_projection_lag_events\{projection="family-detail"\} 0/);
    expect((await fetch(`${base}/queues`)).status).toBe(401);
    const board = await fetch(`${base}/queues`, { headers: { authorization: `Basic ${Buffer.from(`ops:${password}`).toString("base64")}` } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain("<html");
    // Without DASHBOARD_PASSWORD, outside development (the tests run with NODE_ENV=test): no dashboard.
    const plain = stack.startWorker({ LOG_LEVEL: "info" });
    expect((await fetch(`http://127.0.0.1:${await plain.httpPort()}/queues`)).status).toBe(404);
  });
});
