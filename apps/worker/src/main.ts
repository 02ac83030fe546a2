// The worker process: publisher (event store -> BullMQ, when it holds the lock), projectors
// (BullMQ -> read models), and a small HTTP server. Any number of these may run.
import type { Server } from "node:http";
import { createPool } from "@coop/database";
import { READ_MODEL_WRITER_SETTINGS } from "./runtime/session-settings";
import { upcastEvent } from "@coop/domain";
import { EventStore } from "@coop/event-store";
import { loadWorkerConfig } from "./config";
import { createMetrics } from "./http/metrics";
import { dashboardAccess, startHttpServer } from "./http/server";
import { createLogger, errorMessage, type Logger } from "./logger";
import { projections } from "./projections/projections";
import { Publisher } from "./publisher/publisher";
import { ProjectionRuntime } from "./runtime/projection-runtime";
import { createQueues } from "./runtime/queues";
import { createRedis, waitForRedis } from "./runtime/redis";
import { checkRegistry, checkTables } from "./runtime/registry";

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger(config.logLevel);
  // Registry problems are programming errors: refuse to start before touching anything.
  checkRegistry(projections);
  if (config.faults.length > 0) {
    logger.warn({ faults: config.faults }, "COOP_FAULT_INJECTION is set: projections will fail on purpose (test only)");
  }

  const pool = createPool(config.databaseUrl, {
    max: projections.length + 4,
    application_name: `coop-worker:${process.pid}`,
    settings: READ_MODEL_WRITER_SETTINGS,
    onError: (error) => logger.warn({ err: error.message }, "idle PostgreSQL client error"),
  });
  const cleanup: (() => Promise<unknown>)[] = [() => pool.end()];
  try {
    await checkTables(pool, projections);
    const eventStore = new EventStore(pool, { upcast: upcastEvent });
    const redis = createRedis(config.redisUrl, `coop-worker:${process.pid}`);
    const subscriber = createRedis(config.redisUrl, `coop-worker-nudges:${process.pid}`);
    redis.on("error", (error) => logger.warn({ err: error.message }, "redis connection error"));
    subscriber.on("error", (error) => logger.warn({ err: error.message }, "redis subscriber error"));
    cleanup.unshift(
      () => redis.quit().catch(() => redis.disconnect()),
      () => subscriber.quit().catch(() => subscriber.disconnect()),
    );

    await waitForRedis(redis, (message) => logger.warn(message));
    const queues = createQueues(projections, redis, config.queuePrefix);
    cleanup.unshift(() => Promise.all([...queues.values()].map((q) => q.close())));
    const metrics = createMetrics();
    metrics.setSources({ pool, queues });

    const runtime = new ProjectionRuntime({ config, pool, eventStore, projections, queues, connection: redis, logger, metrics });
    await runtime.prepare();
    const publisher = new Publisher({
      pool,
      databaseUrl: config.databaseUrl,
      eventStore,
      projections,
      queues,
      subscriber,
      queuePrefix: config.queuePrefix,
      batchSize: config.publisherBatchSize,
      logger,
      metrics,
    });

    runtime.start();
    await publisher.start();
    const dashboard = dashboardAccess(config);
    const { server, port } = await startHttpServer({
      port: config.workerPort,
      pool,
      redis,
      queues,
      metrics,
      dashboard,
      logger,
      health: () => ({ publisher: publisher.isActive }),
    });
    const board = { off: "off, DASHBOARD_PASSWORD is not set", open: "/queues, open (development)", password: "/queues, with DASHBOARD_PASSWORD" }[dashboard.kind];
    logger.info(
      { port, queuePrefix: config.queuePrefix, projections: projections.map((p) => p.name) },
      `worker listening on http://localhost:${port} (health /healthz, metrics /metrics, dashboard ${board})`,
    );
    installSignalHandlers(logger, async () => {
      await closeServer(server);
      await publisher.stop(); // releases the lock: another process takes over within a second
      await runtime.close(); // waits for the jobs in hand
      for (const step of cleanup) await step().catch(() => undefined);
    });
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function installSignalHandlers(logger: Logger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting at once");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down: finishing the jobs in hand");
    // A hung dependency must not keep the process alive forever.
    const deadline = setTimeout(() => {
      logger.error("shutdown took longer than 30 s: exiting");
      process.exit(1);
    }, 30_000);
    deadline.unref();
    shutdown().then(
      () => {
        logger.info("worker stopped");
        process.exit(0);
      },
      (error) => {
        logger.error({ err: errorMessage(error) }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

main().catch((error) => {
  // pino may not exist yet (bad configuration): plain stderr, one clear line.
  console.error(`worker failed to start: ${errorMessage(error)}`);
  process.exit(1);
});
