import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Queue } from "bullmq";
import express from "express";
import type { Redis } from "ioredis";
import type pg from "pg";
import { errorMessage } from "../logger";
import { pingRedis } from "../runtime/redis";
import type { WorkerMetrics } from "./metrics";

export interface HttpOptions {
  port: number;
  pool: pg.Pool;
  redis: Redis;
  queues: ReadonlyMap<string, Queue>;
  metrics: WorkerMetrics;
  /** Extra facts for /healthz (e.g. whether this process publishes). */
  health?: () => Record<string, unknown>;
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz, /readyz, /metrics and the BullMQ dashboard at /queues. Resolves once listening. */
export async function startHttpServer(options: HttpOptions): Promise<{ server: Server; port: number }> {
  const app = express();
  app.disable("x-powered-by");

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", pid: process.pid, uptimeSeconds: Math.round(process.uptime()), ...options.health?.() });
  });

  app.get("/readyz", async (_req, res) => {
    const checks = await Promise.all([
      withDeadline(options.pool.query("SELECT 1"), 1_000, "postgres").then(
        () => ["postgres", "ok"] as const,
        (error) => ["postgres", errorMessage(error)] as const,
      ),
      pingRedis(options.redis, 1_000).then(
        () => ["redis", "ok"] as const,
        (error) => ["redis", errorMessage(error)] as const,
      ),
    ]);
    const down = checks.filter(([, state]) => state !== "ok").map(([name]) => name);
    res.status(down.length ? 503 : 200).json({ status: down.length ? "unavailable" : "ready", down, checks: Object.fromEntries(checks) });
  });

  app.get("/metrics", async (_req, res) => {
    try {
      const body = await options.metrics.registry.metrics();
      res.type(options.metrics.registry.contentType).send(body);
    } catch (error) {
      res.status(500).type("text/plain").send(`metrics unavailable: ${errorMessage(error)}\n`);
    }
  });

  const board = new ExpressAdapter();
  board.setBasePath("/queues");
  createBullBoard({ queues: [...options.queues.values()].map((q) => new BullMQAdapter(q)), serverAdapter: board });
  app.use("/queues", board.getRouter());

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  return { server, port: (server.address() as AddressInfo).port };
}
