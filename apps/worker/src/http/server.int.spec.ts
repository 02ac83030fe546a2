// The worker's HTTP surface over real HTTP, in-process: the queue dashboard (read-only, behind
// DASHBOARD_PASSWORD, off without it except under development) and /readyz naming what is down
// without the driver's words.
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { deleteKeysWithPrefix } from "../runtime/redis";
import { REDIS_URL } from "../test-kit/stack";
import { createMetrics } from "./metrics";
import { dashboardAccess, startHttpServer, type DashboardAccess } from "./server";

const PASSWORD = "dashboard-test-password-0123";
const QUEUE = "projection.http-test";

let db: TestDatabase;
let pool: pg.Pool;
let redis: Redis;
let queue: Queue;
const prefix = `coop-test-http-${randomBytes(4).toString("hex")}`;
const servers: Server[] = [];

beforeAll(async () => {
  db = await createTestDatabase("coop_test_worker_http", { migrate: false });
  pool = createPool(db.url, { max: 2, application_name: "worker-http-test", onError: () => undefined });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(QUEUE, { connection: redis, prefix });
  await queue.add("batch", { from: "0", to: "1" });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await queue?.close();
  if (redis) {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  }
  await pool?.end();
  await db?.drop();
});

async function serve(dashboard: DashboardAccess, deps: { pool?: pg.Pool; redis?: Redis } = {}): Promise<string> {
  const { server, port } = await startHttpServer({
    port: 0,
    pool: deps.pool ?? pool,
    redis: deps.redis ?? redis,
    queues: () => [queue],
    metrics: createMetrics(),
    dashboard,
  });
  servers.push(server);
  return `http://127.0.0.1:${port}`;
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

describe("the queue dashboard", () => {
  it("follows DASHBOARD_PASSWORD, else NODE_ENV: password, open under development, off elsewhere", () => {
    expect(dashboardAccess({ nodeEnv: "production", dashboardPassword: PASSWORD })).toEqual({ kind: "password", password: PASSWORD });
    expect(dashboardAccess({ nodeEnv: "development", dashboardPassword: PASSWORD })).toEqual({ kind: "password", password: PASSWORD });
    expect(dashboardAccess({ nodeEnv: "development", dashboardPassword: null })).toEqual({ kind: "open" });
    for (const nodeEnv of ["production", "test", "staging"]) expect(dashboardAccess({ nodeEnv, dashboardPassword: null })).toEqual({ kind: "off" });
  });

  it("with a password: HTTP basic auth, any user name, the right password only", async () => {
    const base = await serve({ kind: "password", password: PASSWORD });
    const anonymous = await fetch(`${base}/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    for (const headers of [basic("admin", "wrong"), basic("admin", `${PASSWORD}x`), basic("admin", PASSWORD.slice(0, -1)), { authorization: "Basic !!!" }, { authorization: `Bearer ${PASSWORD}` }]) {
      expect((await fetch(`${base}/queues`, { headers })).status, JSON.stringify(headers)).toBe(401);
    }
    for (const user of ["admin", "anyone", ""]) {
      const page = await fetch(`${base}/queues`, { headers: basic(user, PASSWORD) });
      expect(page.status, user).toBe(200);
      expect(await page.text()).toContain("<html");
    }
    // The API behind the page needs it too, and shows the queue read-only.
    expect((await fetch(`${base}/queues/api/queues`)).status).toBe(401);
    const api = await fetch(`${base}/queues/api/queues`, { headers: basic("ops", PASSWORD) });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(queues.find((q) => q.name === QUEUE)).toMatchObject({ readOnlyMode: true });
  });

  it("is read-only: actions are refused and change nothing", async () => {
    const base = await serve({ kind: "password", password: PASSWORD });
    const headers = basic("ops", PASSWORD);
    for (const [method, path] of [
      ["PUT", `/queues/api/queues/${QUEUE}/pause`],
      ["PUT", "/queues/api/queues/pause"],
      ["PUT", `/queues/api/queues/${QUEUE}/empty`],
      ["PUT", `/queues/api/queues/${QUEUE}/retry/failed`],
      ["DELETE", `/queues/api/queues/${QUEUE}/obliterate`],
      ["POST", `/queues/api/queues/${QUEUE}/add`],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method, headers });
      expect(response.status, `${method} ${path}`).toBe(405);
    }
    expect(await queue.isPaused()).toBe(false);
    expect((await queue.getJobCounts("waiting")).waiting).toBe(1);
  });

  it("without a password: 404, except under development where it is open (and still read-only)", async () => {
    const off = await serve(dashboardAccess({ nodeEnv: "production", dashboardPassword: null }));
    expect((await fetch(`${off}/queues`)).status).toBe(404);
    expect((await fetch(`${off}/queues/api/queues`)).status).toBe(404);
    expect((await fetch(`${off}/healthz`)).status).toBe(200);

    const open = await serve(dashboardAccess({ nodeEnv: "development", dashboardPassword: null }));
    expect((await fetch(`${open}/queues`)).status).toBe(200);
    expect((await fetch(`${open}/queues/api/queues/${QUEUE}/pause`, { method: "PUT" })).status).toBe(405);
    expect(await queue.isPaused()).toBe(false);
  });
});

describe("/readyz", () => {
  it("ready: 200 with each dependency up", async () => {
    const base = await serve({ kind: "off" });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { postgres: "up", redis: "up" } });
  });

  it("a dependency down: 503 naming it, without the driver's message or host", async () => {
    const deadPool = createPool("postgresql://postgres@127.0.0.1:1/nowhere", { max: 1, onError: () => undefined });
    const deadRedis = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
    deadRedis.on("error", () => undefined);
    try {
      const postgresDown = await fetch(`${await serve({ kind: "off" }, { pool: deadPool })}/readyz`);
      expect(postgresDown.status).toBe(503);
      const text = await postgresDown.text();
      expect(JSON.parse(text)).toEqual({ status: "unavailable", checks: { postgres: "down", redis: "up" } });
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:1\b/);

      const redisDown = await fetch(`${await serve({ kind: "off" }, { redis: deadRedis })}/readyz`);
      expect(redisDown.status).toBe(503);
      expect(await redisDown.json()).toEqual({ status: "unavailable", checks: { postgres: "up", redis: "down" } });
    } finally {
      await deadPool.end();
      deadRedis.disconnect();
    }
  });
});
