// `pnpm projections status | rebuild NAME | resume NAME`: operating the projections.
// Exit codes: 0 done, 1 failed, 2 usage (unknown command or projection).
import { Redis } from "ioredis";
import type { Queue } from "bullmq";
import { createPool } from "@coop/database";
import { READ_MODEL_WRITER_SETTINGS } from "../runtime/session-settings";
import { upcastEvent } from "@coop/domain";
import { EventStore } from "@coop/event-store";
import { loadWorkerConfig } from "../config";
import { createLogger, errorMessage } from "../logger";
import { projections } from "../projections/projections";
import { findPublisherLockHolder } from "../publisher/leader-lock";
import { countEventsAfter, ensureProjectionRows, readProjections, readPublisherCheckpoint, setProjectionRunning } from "../runtime/checkpoints";
import { formatCheckpoint } from "../runtime/jobs";
import { createQueues, queueOf, resumeProjection } from "../runtime/queues";
import { isRebuildRunning, rebuildProjection } from "../runtime/rebuild";
import { checkRegistry, checkTables, findProjection } from "../runtime/registry";
import { formatTable } from "./format";

const USAGE = `usage: pnpm projections <command>
  status           every projection: checkpoint, head, lag, status, events processed, last error
  rebuild NAME     rebuild one read model from the event store (queries keep answering)
  resume NAME      clear an ERROR and resume from the checkpoint
projections: ${projections.map((p) => p.name).join(", ")}`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, name, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!["status", "rebuild", "resume"].includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (command === "status" && name !== undefined) throw new UsageError(`status takes no arguments, got "${name}"`);
  if (command !== "status") {
    if (name === undefined) throw new UsageError(`${command} needs a projection name`);
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
    if (!findProjection(projections, name)) {
      throw new UsageError(`unknown projection "${name}"; projections: ${projections.map((p) => p.name).join(", ")}`);
    }
  }

  // An operator's tool: it neither serves nor reads tokens, so it needs no JWT_SECRET.
  const config = loadWorkerConfig(process.env, { requireJwtSecret: false });
  checkRegistry(projections);
  const pool = createPool(config.databaseUrl, {
    max: 4,
    application_name: `coop-projections-cli:${process.pid}`,
    settings: READ_MODEL_WRITER_SETTINGS,
  });
  let redis: Redis | null = null;
  try {
    await checkTables(pool, projections);
    await ensureProjectionRows(pool, projections.map((p) => p.name));
    const eventStore = new EventStore(pool, { upcast: upcastEvent });

    if (command === "status") {
      const [rows, head, publisher, holder] = await Promise.all([
        readProjections(pool),
        eventStore.headPosition(),
        readPublisherCheckpoint(pool),
        findPublisherLockHolder(pool),
      ]);
      // Registry order first (the order of projections.ts), then rows no projection claims.
      const rank = (name: string) => {
        const i = projections.findIndex((p) => p.name === name);
        return i < 0 ? projections.length : i;
      };
      rows.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
      const table = await Promise.all(
        rows.map(async (r) => [
          r.name + (findProjection(projections, r.name) ? "" : " (not registered)"),
          r.checkpoint.position,
          head,
          String(await countEventsAfter(pool, r.checkpoint)),
          r.status === "REBUILDING" && !(await isRebuildRunning(pool, r.name)) ? "REBUILDING (abandoned: the next worker start clears it)" : r.status,
          r.eventsProcessed,
          r.updatedAt.toISOString(),
          r.lastError ?? "",
        ]),
      );
      console.log(formatTable(["NAME", "POSITION", "HEAD", "LAG", "STATUS", "PROCESSED", "UPDATED", "LAST ERROR"], table));
      console.log(
        `\npublisher: checkpoint ${formatCheckpoint(publisher)} (transaction/position), lag ${await countEventsAfter(pool, publisher)}, ` +
          (holder ? `active in ${holder.applicationName}` : "no worker holds the publisher lock"),
      );
      return 0;
    }

    const projection = findProjection(projections, name!)!;
    redis = await connectRedis(config.redisUrl);
    const queues = redis ? createQueues(projections, redis, config.queuePrefix) : null;
    const queue: Queue | undefined = queues ? queueOf(queues, projection.name) : undefined;
    try {
      if (command === "resume") {
        if (!queue) {
          await setProjectionRunning(pool, projection.name);
          console.log(`${projection.name}: RUNNING (Redis unreachable: the active publisher resumes the queue and catches up)`);
          return 0;
        }
        const row = await resumeProjection(pool, queue, projection.name);
        console.log(`${projection.name}: RUNNING from checkpoint ${formatCheckpoint(row.checkpoint)}; queue resumed, catch-up enqueued`);
        return 0;
      }

      const logger = createLogger(process.env.LOG_LEVEL || "info", { command: "rebuild" });
      console.log(`rebuilding ${projection.name} (tables ${projection.tables.join(", ")}) ...`);
      const result = await rebuildProjection({
        pool,
        databaseUrl: config.databaseUrl,
        eventStore,
        projection,
        queue,
        log: logger,
        chunk: config.rebuildChunk,
      });
      console.log(
        `rebuilt ${result.projection}: ${result.read} events read, ${result.applied} applied in ` +
          `${(result.replaySeconds + result.swapSeconds).toFixed(2)} s (swap ${(result.swapSeconds * 1000).toFixed(0)} ms): ` +
          `${result.eventsPerSec} events/s; checkpoint ${formatCheckpoint(result.checkpoint)}`,
      );
      return 0;
    } finally {
      if (queues) await Promise.all([...queues.values()].map((q) => q.close().catch(() => undefined)));
    }
  } finally {
    if (redis) await redis.quit().catch(() => redis?.disconnect());
    await pool.end().catch(() => undefined);
  }
}

/** Redis is optional here: without it the active publisher's reconcile does the queue side. */
async function connectRedis(url: string): Promise<Redis | null> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: 2_000, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    console.warn(`warning: Redis unreachable (${errorMessage(error)}); continuing with PostgreSQL only`);
    redis.disconnect();
    return null;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`projections: ${errorMessage(error)}`);
    process.exit(1);
  },
);
