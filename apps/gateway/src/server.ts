// Wires one gateway: pools, command bus, Apollo, HTTP server. Tests start it in-process on port 0.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { announceForgottenKey, followForgottenKeys, personalDataEventStore, throttledWarn } from "@coop/process";
import { CommandBus, type CommandBusOptions } from "@coop/command-bus";
import { eventsAppendedChannel, type Config } from "@coop/config";
import { createPool, REQUEST_SESSION_GUARDS } from "@coop/database";
import { aggregates } from "@coop/domain";
import { CommandStore, type CommandReceipt } from "@coop/event-store";
import { readQueriesOf, type Services } from "./context";
import { TokenVerifier } from "./auth/token";
import { ChangeFeed } from "./consistency/change-feed";
import { Consistency, FAMILY_DETAIL } from "./consistency/consistency";
import { FamilyQueries } from "./families/family.queries";
import type { Family } from "./families/family.types";
import { createApollo } from "./graphql/apollo";
import { utcToday } from "./graphql/dates";
import { gatewayAccess, gatewaySchema } from "./graphql/schema";
import { createLogger, type Logger } from "./logger";
import { checkReaderRole, ReaderRoleError } from "./reads/reader-role";
import { TenantReader, type ReadAs } from "./reads/tenant-reader";
import { createReadinessCheck } from "./transport/health";
import { createHttpHandler } from "./transport/http";
import { createMetrics } from "./transport/metrics";
import { Playground } from "./transport/playground";
import { operationLogPlugin } from "./transport/request-log";
import { CorsPolicy } from "./transport/cors";
import { createSubscriptionServer } from "./transport/websocket";
import { FamilyChangeHub } from "./subscriptions/family-change-hub";

export interface GatewayDeps {
  logger?: Logger;
  /** Command bus overrides (tests: `maxRetries: 0` to provoke CONCURRENCY_CONFLICT). */
  commandBus?: Partial<Pick<CommandBusOptions, "maxRetries" | "cacheSize" | "snapshotEvery">>;
  /** pg pool of the event store and command bus (default 16); the reader role's pool for reads (default 10). */
  poolSize?: number;
  readPoolSize?: number;
  /**
   * `owner` reads as DATABASE_URL's user with the queries' tenant filter alone, without row-level
   * security: only for the benchmark's baseline (src/testing/owner-reads.ts). Default `reader`.
   */
  readAs?: ReadAs;
  /** Largest request body accepted (default 256 KiB). */
  bodyLimitBytes?: number;
  /** How long close() lets in-flight requests run (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Today's UTC date (default: the clock). */
  today?: () => string;
  /** While a read waits for the read models, re-read their positions this often (default 250 ms; tests). */
  consistencyFallbackMs?: number;
  /** Host to listen on (default all interfaces). */
  host?: string;
}

export interface Gateway {
  server: Server;
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  services: Services;
  /** Stops accepting, lets in-flight requests finish (up to the deadline), then closes the pools. */
  close(): Promise<void>;
}

/**
 * Nudges closer together than this add nothing: after a nudge the worker's publisher keeps
 * re-reading every 2 ms for 30 ms. Each one costs a socket write, a large share of a busy
 * gateway's CPU on loopback.
 */
const NUDGE_GAP_MS = 5;

/**
 * Publishes "events appended" after commits, coalescing bursts: the first commit after a quiet
 * spell nudges at once; later ones at most every NUDGE_GAP_MS.
 */
function createNudger(redis: Redis, channel: string, logger: Logger) {
  let inFlight = false;
  let pending = false;
  let position = "0";
  let lastWarning = 0;
  const publish = () => {
    // Not connected: skip (nothing queues up while Redis is away); the publisher also polls.
    if (redis.status !== "ready") {
      pending = false;
      return;
    }
    inFlight = true;
    pending = false;
    redis
      .publish(channel, position)
      .catch((error: Error) => {
        const now = Date.now();
        if (now - lastWarning > 10_000) {
          lastWarning = now;
          logger.warn({ err: error, channel }, "could not nudge the publisher (it will poll)");
        }
      })
      .finally(() => {
        setTimeout(() => {
          inFlight = false;
          if (pending) publish();
        }, NUDGE_GAP_MS).unref();
      });
  };
  return (receipt: CommandReceipt) => {
    position = receipt.position;
    if (inFlight) pending = true;
    else publish();
  };
}

export async function createGateway(config: Config, deps: GatewayDeps = {}): Promise<Gateway> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  // Built and checked against the modules' access rules and reads: a mismatch fails start-up.
  const schema = gatewaySchema();

  const metrics = createMetrics();
  // Connection errors repeat many times a second during an outage: the first, then one per 10 s.
  const warn = throttledWarn((fields, message) => logger.warn(fields, message));
  // Request-path sessions fail fast rather than hang: a locked table, a frozen peer, a dead server.
  const pool = createPool(config.databaseUrl, {
    max: deps.poolSize ?? 16,
    application_name: "coop-gateway",
    guards: REQUEST_SESSION_GUARDS,
    onError: (error) => warn({ err: error.message }, "PostgreSQL connection error"),
  });
  // Reads run as the reader role from the first statement of each session (-c role=...): whatever
  // is sent on this pool is confined by row-level security, settings or not.
  const readAs = deps.readAs ?? "reader";
  const readPool = createPool(config.databaseUrl, {
    max: deps.readPoolSize ?? 10,
    application_name: "coop-gateway-reads",
    settings: readAs === "reader" ? { role: config.databaseReaderRole } : undefined,
    guards: REQUEST_SESSION_GUARDS,
    onError: (error) => warn({ err: error.message }, "PostgreSQL connection error (reads)"),
  });
  // A reader role that row-level security would not confine (or that is missing) stops the start.
  // PostgreSQL unreachable: the gateway starts anyway, and the check runs before the first read.
  let pendingCheck: (() => Promise<void>) | null = null;
  if (readAs === "reader") {
    const check = () => checkReaderRole(pool, config.databaseReaderRole);
    try {
      await check();
    } catch (error) {
      if (error instanceof ReaderRoleError) {
        await Promise.allSettled([pool.end(), readPool.end()]);
        throw error;
      }
      pendingCheck = check;
    }
  }
  const redis = new Redis(config.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: "coop-gateway",
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on("error", (error: Error) => warn({ err: error.message }, "redis connection error"));

  const today = deps.today ?? (() => utcToday());
  // Personal fields sealed with each family's key; a family forgotten here is announced to every
  // process, and one forgotten elsewhere drops its key here (a subscriber connection of its own).
  const eventStore = personalDataEventStore(pool, config, {
    onForgotten: (stream) =>
      announceForgottenKey(redis, config.queuePrefix, stream, (error) => logger.warn({ err: error }, "could not announce a forgotten family's key (other processes drop it when their cache life ends)")),
  });
  const keySubscriber = new Redis(config.redisUrl, { connectionName: "coop-gateway-keys", retryStrategy: (times) => Math.min(times * 200, 2_000) });
  keySubscriber.on("error", () => undefined); // the main connection reports Redis being away
  void followForgottenKeys(keySubscriber, config.queuePrefix, eventStore.codec!.keys).catch((error: unknown) =>
    logger.warn({ err: error }, "not subscribed to forgotten keys yet (cached keys still end with their cache life)"),
  );
  const nudge = createNudger(redis, eventsAppendedChannel(config.queuePrefix), logger);
  const bus = new CommandBus({
    eventStore,
    commandStore: new CommandStore(pool),
    aggregates,
    snapshotEvery: deps.commandBus?.snapshotEvery ?? config.snapshotEvery,
    cacheSize: deps.commandBus?.cacheSize ?? config.aggregateCacheSize,
    maxRetries: deps.commandBus?.maxRetries,
    today,
    onAppended: nudge,
    onError: (message, error) => logger.warn({ err: error }, message),
  });

  // The workers' announcements: read-your-writes waits on them, subscriptions push them.
  const feed = new ChangeFeed(config.redisUrl, config.queuePrefix, [FAMILY_DETAIL], (error) => warn({ err: error.message }, "redis connection error (announcements)"));
  feed.start();
  const consistency = new Consistency({
    pool,
    feed,
    timeoutMs: config.consistencyTimeoutMs,
    fallbackMs: deps.consistencyFallbackMs,
    onWait: (outcome, seconds) => metrics.consistencyWait.observe({ outcome }, seconds),
  });

  // Subscriptions: the same announcements, pushed to subscribers; rows read as the subscriber.
  const live: FamilyChangeHub<Family> = new FamilyChangeHub<Family>({
    feed,
    load: (scope, ids) => services.read(FamilyQueries).families(scope, ids, today()),
    onError: (error) => warn({ err: error instanceof Error ? error.message : String(error) }, "could not read changed families for their subscribers"),
  });

  const services: Services = {
    bus,
    consistency,
    live,
    eventStore,
    metrics,
    logger,
    today,
    read: readQueriesOf({ reader: new TenantReader(readPool, readAs, pendingCheck), pool, codec: eventStore.codec }),
  };

  const apollo = createApollo({ schema, access: gatewayAccess, nodeEnv: config.nodeEnv, logger, metrics });
  apollo.addPlugin(operationLogPlugin());
  const releaseResources = () =>
    Promise.allSettled([
      live.close(),
      consistency.close(),
      feed.close(),
      readPool.end(),
      pool.end(),
      redis.quit().catch(() => redis.disconnect()),
      keySubscriber.quit().catch(() => keySubscriber.disconnect()),
    ]);
  try {
    await apollo.start();
  } catch (error) {
    await releaseResources();
    throw error;
  }

  const verifier = new TokenVerifier(config.jwtSecret, { issuer: config.jwtIssuer, audience: config.jwtAudience });
  const handler = createHttpHandler({
    apollo,
    services,
    verifier,
    playground: new Playground(),
    logger,
    bodyLimitBytes: deps.bodyLimitBytes ?? 256 * 1024,
    corsOrigins: config.corsOrigins,
    readiness: createReadinessCheck(pool, redis),
    metricsText: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    onErrorCode: (code) => metrics.errors.inc({ code }),
  });

  // In-flight requests, so that shutdown can wait for them.
  let inFlight = 0;
  let drained: (() => void) | null = null;
  let shuttingDown = false;
  const server = createServer((req, res) => {
    inFlight++;
    if (shuttingDown) res.setHeader("connection", "close");
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0 && drained) drained();
    });
    handler(req, res);
  });
  const subscriptions = createSubscriptionServer({
    server,
    schema,
    access: gatewayAccess,
    services,
    verifier,
    logger,
    nodeEnv: config.nodeEnv,
    maxPayloadBytes: deps.bodyLimitBytes ?? 256 * 1024,
    cors: new CorsPolicy(config.corsOrigins),
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, deps.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await subscriptions.close();
    await apollo.stop().catch(() => undefined);
    await releaseResources();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true;
      // WebSockets are no HTTP requests in flight: they end at once (1001 going away); clients reconnect elsewhere.
      await subscriptions.close();
      server.close();
      server.closeIdleConnections();
      if (inFlight > 0) {
        const deadline = deps.shutdownTimeoutMs ?? 10_000;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await apollo.stop().catch((error: unknown) => logger.warn({ err: error }, "apollo stop failed"));
      await releaseResources();
    })();
    return closing;
  };

  return { server, url: `http://127.0.0.1:${port}`, port, services, close };
}
