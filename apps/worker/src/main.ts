// The worker process: publisher (event store -> lane queues, while it holds the lease), projectors
// (lane queues -> read models), and a small HTTP server. Any number of these may run. It survives
// PostgreSQL and Redis going away and coming back: it waits, retries, and never exits for it.
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { createPool, WORKER_SESSION_GUARDS } from "@coop/database";
import { followForgottenKeys, installFaultNets, personalDataEventStore, throttledWarn } from "@coop/process";
import { loadWorkerConfig, type WorkerConfig } from "./config";
import { createMetrics } from "./http/metrics";
import { dashboardAccess, startHttpServer } from "./http/server";
import { createLogger, errorMessage, type Logger } from "./logger";
import { projections as registered } from "./projections/projections";
import type { ProjectionDefinition } from "./projections/types";
import { Publisher } from "./publisher/publisher";
import { Announcer } from "./runtime/announcer";
import { AutoRebuilder } from "./runtime/auto-rebuild";
import { ensureProjectionRows } from "./runtime/checkpoints";
import { withApplyAudit } from "./runtime/apply-audit";
import { withInjectedFaults } from "./runtime/fault-injection";
import { Heartbeat } from "./runtime/heartbeat";
import { ProjectionRuntime } from "./runtime/projection-runtime";
import { LaneQueues } from "./runtime/queues";
import { createRedis, waitForRedis } from "./runtime/redis";
import { checkRegistry, checkTables, findProjection } from "./runtime/registry";
import { READ_MODEL_WRITER_SETTINGS } from "./runtime/session-settings";

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger(config.logLevel);
  installFaultNets(logger);
  // Connection errors repeat many times a second during an outage: the first, then one per 10 s.
  const warn = throttledWarn((fields, message) => logger.warn(fields, message));
  // Registry problems are programming errors: refuse to start before touching anything.
  checkRegistry(registered);
  const projections = selected(config, registered);
  if (config.dataKeySecretIsDefault) logger.warn(`DATA_KEY_SECRET is not set: using the development secret (allowed under NODE_ENV=${config.nodeEnv} only).`);
  if (config.faults.length > 0) logger.warn({ faults: config.faults }, "COOP_FAULT_INJECTION is set: projections will fail on purpose (test only)");
  let applied = config.faults.length > 0 ? projections.map((p) => withInjectedFaults(p, config.faults)) : projections;
  if (config.applyAuditTable) {
    logger.warn({ table: config.applyAuditTable }, "COOP_APPLY_AUDIT is set: projections record what they apply (test only)");
    const table = config.applyAuditTable;
    applied = applied.map((p) => withApplyAudit(p, table));
  }

  const workerId = `coop-worker:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const pool = createPool(config.databaseUrl, {
    max: config.poolSize ?? Math.min(32, projections.length * config.lanes + 6),
    application_name: `coop-worker:${process.pid}`,
    guards: WORKER_SESSION_GUARDS,
    settings: READ_MODEL_WRITER_SETTINGS,
    onError: (error) => warn({ err: error.message }, "PostgreSQL connection error"),
  });
  const cleanup: (() => Promise<unknown>)[] = [() => pool.end()];
  try {
    await waitFor("PostgreSQL", () => checkTables(pool, registered), logger);
    await waitFor("PostgreSQL", () => ensureProjectionRows(pool, registered, config.lanes), logger);
    const eventStore = personalDataEventStore(pool, config);
    const redis = createRedis(config.redisUrl, `coop-worker:${process.pid}`);
    const subscriber = createRedis(config.redisUrl, `coop-worker-nudges:${process.pid}`);
    const keySubscriber = createRedis(config.redisUrl, `coop-worker-keys:${process.pid}`);
    redis.on("error", (error) => warn({ err: error.message }, "redis connection error"));
    subscriber.on("error", (error) => warn({ err: error.message }, "redis subscriber error"));
    keySubscriber.on("error", (error) => warn({ err: error.message }, "redis subscriber error (forgotten keys)"));
    cleanup.unshift(
      () => redis.quit().catch(() => redis.disconnect()),
      () => subscriber.quit().catch(() => subscriber.disconnect()),
      () => keySubscriber.quit().catch(() => keySubscriber.disconnect()),
    );
    await waitForRedis(redis, (message) => logger.warn(message));
    await followForgottenKeys(keySubscriber, config.queuePrefix, eventStore.codec!.keys);

    const queues = new LaneQueues(redis, config.queuePrefix, (queue, error) => warn({ queue, err: error.message }, "queue error (Redis unavailable?)"));
    cleanup.unshift(() => queues.close());
    const metrics = createMetrics();
    metrics.setSources({ pool });
    const announcer = new Announcer(redis, config.queuePrefix);

    const runtime = new ProjectionRuntime({ config, pool, eventStore, projections: applied, connection: redis, logger, metrics, announcer });
    const rebuilder = new AutoRebuilder({
      pool,
      eventStore,
      projections: registered,
      lanes: config.lanes,
      holder: workerId,
      leaseMs: config.leaseMs,
      chunk: config.rebuildChunk,
      logger,
    });
    const publisher = config.publisher
      ? new Publisher({
          pool,
          eventStore,
          projections: registered,
          queues,
          subscriber,
          queuePrefix: config.queuePrefix,
          batchSize: config.publisherBatchSize,
          logger,
          metrics,
          holder: workerId,
          leaseMs: config.leaseMs,
          errorRetryMs: config.errorRetryMs,
          parkRetryMs: config.parkRetryMs,
          onSaved: (state) => announcer.publisherSaved(state),
          onReconcile: ({ projections: rows }) => rebuilder.check(rows),
        })
      : null;
    const heartbeat = new Heartbeat(
      pool,
      workerId,
      config.heartbeatMs,
      () => ({ publisher: publisher?.isActive ?? false, details: { host: hostname(), pid: process.pid, lanes: runtime.lanes } }),
      (error) => logger.debug({ err: errorMessage(error) }, "heartbeat not written (database unavailable?)"),
    );

    runtime.start();
    await publisher?.start();
    heartbeat.start();
    const { server, port } = await startHttpServer({
      port: config.workerPort,
      pool,
      redis,
      queues: () => queues.all(),
      metrics,
      dashboard: dashboardAccess(config),
      logger,
      health: () => ({ publisher: publisher?.isActive ?? false, lanes: runtime.lanes.length }),
    });
    logger.info(
      { port, queuePrefix: config.queuePrefix, projections: projections.map((p) => p.name), lanes: config.lanes, publisher: config.publisher, workerId },
      `worker listening on http://localhost:${port} (health /healthz, readiness /readyz, metrics /metrics, dashboard /queues)`,
    );
    installSignalHandlers(logger, async () => {
      await closeServer(server);
      await publisher?.stop(); // gives the lease up: another process takes over at once
      await runtime.close(); // waits for the jobs in hand
      await rebuilder.idle();
      await heartbeat.stop();
      for (const step of cleanup) await step().catch(() => undefined);
    });
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

/** WORKER_PROJECTIONS, checked against the registered projections. */
function selected(config: WorkerConfig, all: readonly ProjectionDefinition[]): readonly ProjectionDefinition[] {
  if (config.projectionNames === null) return all;
  return config.projectionNames.map((name) => {
    const found = findProjection(all, name);
    if (!found) throw new Error(`WORKER_PROJECTIONS names "${name}"; projections: ${all.map((p) => p.name).join(", ")}`);
    return found;
  });
}

/** Retries `work` until it succeeds, logging every few seconds: the database may not be up yet. */
async function waitFor(what: string, work: () => Promise<void>, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return;
    } catch (error) {
      // A missing table is not worth waiting for: the operator must migrate first.
      if ((error as Error).name === "RegistryError") throw error;
      if (attempt === 1 || attempt % 5 === 0) logger.warn({ err: errorMessage(error), attempt }, `${what} is not answering; retrying`);
      await sleep(Math.min(5_000, 250 * attempt));
    }
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
