import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Config } from "@coop/config";
import type { Queue } from "bullmq";
import express, { type RequestHandler } from "express";
import type { Redis } from "ioredis";
import type pg from "pg";
import { errorMessage, type Logger } from "../logger";
import { pingRedis } from "../runtime/redis";
import type { WorkerMetrics } from "./metrics";

/** Who may see the queue dashboard at /queues. */
export type DashboardAccess = { kind: "off" } | { kind: "open" } | { kind: "password"; password: string };

/** CONTRACT section 7: behind DASHBOARD_PASSWORD when set; else open under development, off elsewhere. */
export function dashboardAccess(config: Pick<Config, "nodeEnv" | "dashboardPassword">): DashboardAccess {
  if (config.dashboardPassword) return { kind: "password", password: config.dashboardPassword };
  return config.nodeEnv === "development" ? { kind: "open" } : { kind: "off" };
}

export interface HttpOptions {
  port: number;
  pool: pg.Pool;
  redis: Redis;
  /** The lane queues to show on the dashboard (asked again every few seconds: lanes come and go). */
  queues: () => Queue[];
  metrics: WorkerMetrics;
  dashboard: DashboardAccess;
  /** Where readiness says why a dependency went down (the endpoint only names it). */
  logger?: Logger;
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

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** The password of an `Authorization: Basic` header (any user name), or null. */
function basicPassword(header: string | undefined): string | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? "");
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** HTTP basic auth against one password; digests of equal length make the compare constant-time. */
function passwordRequired(password: string): RequestHandler {
  const expected = sha256(password);
  return (req, res, next) => {
    const given = basicPassword(req.headers.authorization);
    if (given !== null && timingSafeEqual(sha256(given), expected)) {
      next();
      return;
    }
    res.status(401).set("www-authenticate", 'Basic realm="coop queues", charset="UTF-8"').type("text/plain").send("The queue dashboard asks for a password.\n");
  };
}

/** bull-board's queues are read-only already; this refuses every other method before it is reached. */
const readOnly: RequestHandler = (req, res, next) => {
  if (req.method === "GET" || req.method === "HEAD") {
    next();
    return;
  }
  res.status(405).set("allow", "GET, HEAD").type("text/plain").send("The queue dashboard is read-only.\n");
};

/** /healthz, /readyz, /metrics and the BullMQ dashboard at /queues. Resolves once listening. */
export async function startHttpServer(options: HttpOptions): Promise<{ server: Server; port: number }> {
  const app = express();
  app.disable("x-powered-by");

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", pid: process.pid, uptimeSeconds: Math.round(process.uptime()), ...options.health?.() });
  });

  // Names what is down, never why: driver messages carry hosts. The why goes to the log, once per outage.
  const last = { postgres: "up", redis: "up" };
  const state = (name: "postgres" | "redis", result: PromiseSettledResult<unknown>): "up" | "down" => {
    const now = result.status === "fulfilled" ? "up" : "down";
    if (now !== last[name]) {
      last[name] = now;
      if (result.status === "rejected") options.logger?.warn({ dependency: name, err: errorMessage(result.reason) }, `readiness: ${name} is down`);
      else options.logger?.info({ dependency: name }, `readiness: ${name} is up again`);
    }
    return now;
  };
  app.get("/readyz", async (_req, res) => {
    const [postgres, redis] = await Promise.allSettled([withDeadline(options.pool.query("SELECT 1"), 1_000, "postgres"), pingRedis(options.redis, 1_000)]);
    const checks = { postgres: state("postgres", postgres), redis: state("redis", redis) };
    const ready = checks.postgres === "up" && checks.redis === "up";
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "unavailable", checks });
  });

  app.get("/metrics", async (_req, res) => {
    try {
      const body = await options.metrics.registry.metrics();
      res.type(options.metrics.registry.contentType).send(body);
    } catch (error) {
      options.logger?.warn({ err: errorMessage(error) }, "metrics unavailable");
      res.status(500).type("text/plain").send("metrics unavailable\n");
    }
  });

  // Off: /queues is not there at all (404).
  if (options.dashboard.kind !== "off") {
    const board = new ExpressAdapter();
    board.setBasePath("/queues");
    const adapters = () => options.queues().map((q) => new BullMQAdapter(q, { readOnlyMode: true }));
    const bull = createBullBoard({ queues: adapters(), serverAdapter: board });
    let shown = options.queues().length;
    const refresh = setInterval(() => {
      const now = options.queues().length;
      if (now !== shown) {
        shown = now;
        bull.replaceQueues(adapters());
      }
    }, 5_000);
    refresh.unref();
    const guards = options.dashboard.kind === "password" ? [passwordRequired(options.dashboard.password), readOnly] : [readOnly];
    app.use("/queues", ...guards, board.getRouter());
  }

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  return { server, port: (server.address() as AddressInfo).port };
}
