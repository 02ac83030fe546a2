// The no-I/O ceiling of the gateway, for `pnpm bench`: the gateway's own schema, Apollo set-up,
// HTTP handler and token verification, with stub services in place of the command bus, the event
// store and the read models. A mutation answers a canned receipt at once and a query canned rows,
// so the ceiling carries every per-request cost of the real gateway except its I/O.
// Run as a process of its own, like the gateway: `PORT=4100 JWT_SECRET=... tsx src/testing/ceiling.ts`.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exitOnSignals } from "@coop/process";
import { ConfigError, loadConfig } from "@coop/config";
import type { ReadQueries, Services } from "../context";
import { TokenVerifier } from "../auth/token";
import { FamilyQueries } from "../families/family.queries";
import { createApollo } from "../graphql/apollo";
import { gatewayAccess, gatewaySchema } from "../graphql/schema";
import { createLogger, type Logger } from "../logger";
import { createHttpHandler } from "../transport/http";
import { createMetrics } from "../transport/metrics";
import { Playground } from "../transport/playground";
import { operationLogPlugin } from "../transport/request-log";
import { ProjectionQueries } from "../projections/projection.queries";

type Family = NonNullable<Awaited<ReturnType<FamilyQueries["family"]>>>;
type AtRiskRow = Awaited<ReturnType<FamilyQueries["atRisk"]>>[number];
type TierRow = Awaited<ReturnType<FamilyQueries["byRiskTier"]>>[number];

const UPDATED_AT = new Date("2026-11-02T10:00:00Z");

/** A family as the read model would show one of the bench's: every field filled. */
function cannedFamily(id: string): Family {
  return {
    id,
    familyName: "Okafor 42",
    status: "ENROLLED",
    enrollmentDate: "2025-09-01",
    parentName: "Guardian 42",
    email: "g42@example.com",
    phone: null,
    children: [{ name: "Ada Nguyen", birthDate: "2016-03-14" }],
    childrenCount: 1,
    oldestChildAge: 10,
    totalPaidCents: 125_000,
    paymentCount: 10,
    lastPaymentDate: "2026-11-02",
    avgDaysLate: 1,
    engagementScore: 60,
    riskScore: 75,
    riskTier: "HIGH",
    riskFactors: { attendance: 5 },
    assignedCoordinator: null,
    lastContactDate: "2026-09-10",
    version: 12,
    updatedAt: UPDATED_AT,
  };
}

const AT_RISK_ROW: AtRiskRow = {
  id: "0b5f3a52-7f1e-4c41-9a8e-2f4f3c1d9e01",
  familyId: "0b5f3a52-7f1e-4c41-9a8e-2f4f3c1d9e01",
  familyName: "Okafor 42",
  riskScore: 75,
  riskTier: "HIGH",
  riskFactors: { attendance: 5 },
  recommendedIntervention: "PHONE_CALL",
  lastContactDate: "2026-09-10",
  daysSinceContact: 53,
  assignedCoordinator: null,
};

const TIER_ROW: TierRow = { riskTier: "HIGH", families: 1, avgEngagement: 60, avgRisk: 75 };

/** Fails loudly if a resolver reaches for I/O that the ceiling does not stub. */
function noIo<T>(name: string): T {
  return new Proxy({} as object, {
    get(_target, property) {
      throw new Error(`the ceiling server has no ${name} (${String(property)} was asked for)`);
    },
  }) as T;
}

/** Services whose every answer is canned and immediate. */
export function ceilingServices(logger: Logger): Services {
  let counter = 0;
  const bus: Pick<Services["bus"], "dispatch"> = {
    async dispatch(envelope) {
      counter++;
      const payload = envelope.payload as { familyId?: unknown };
      const streamId = typeof payload?.familyId === "string" ? payload.familyId : envelope.commandId;
      // The command's type stands in for the types of the events it would append.
      return { ok: true, repeated: false, receipt: { commandId: envelope.commandId, streamId, version: counter, position: String(counter), events: [envelope.type] } };
    },
  };
  const families: Pick<FamilyQueries, "family" | "search" | "atRisk" | "byRiskTier" | "paymentMonths" | "history"> = {
    family: async (_viewer, id) => cannedFamily(id),
    search: async () => [cannedFamily(AT_RISK_ROW.familyId)],
    atRisk: async () => [AT_RISK_ROW],
    byRiskTier: async () => [TIER_ROW],
    paymentMonths: async () => [],
    history: async () => [],
  };
  const projections: Pick<ProjectionQueries, "statuses" | "deadLetters"> = { statuses: async () => [], deadLetters: async () => [] };
  const stubs = new Map<ReadQueries<unknown>, unknown>([
    [FamilyQueries, families],
    [ProjectionQueries, projections],
  ]);
  return {
    bus: bus as Services["bus"],
    read: <T>(queries: ReadQueries<T>): T => (stubs.get(queries) as T | undefined) ?? noIo<T>(queries.name),
    eventStore: noIo("event store"),
    consistency: noIo("consistency"),
    live: noIo("live updates"),
    metrics: createMetrics(),
    logger,
    today: () => new Date().toISOString().slice(0, 10),
  };
}

export interface CeilingOptions {
  jwtSecret: string;
  nodeEnv: string;
  logger: Logger;
  /** 0 for any free port. */
  port: number;
  host?: string;
}

export interface CeilingGateway {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The ceiling server: the gateway's HTTP and GraphQL handling over the stub services. */
export async function startCeilingGateway(options: CeilingOptions): Promise<CeilingGateway> {
  const { logger } = options;
  const services = ceilingServices(logger);
  const apollo = createApollo({ schema: gatewaySchema(), access: gatewayAccess, nodeEnv: options.nodeEnv, logger, metrics: services.metrics });
  apollo.addPlugin(operationLogPlugin());
  await apollo.start();
  const handler = createHttpHandler({
    apollo,
    services,
    verifier: new TokenVerifier(options.jwtSecret),
    playground: new Playground(),
    logger,
    bodyLimitBytes: 256 * 1024,
    corsOrigins: [],
    // Nothing to be ready for: it reads no database and no Redis.
    readiness: async () => ({ ready: true, checks: { postgres: "up", redis: "up" } }),
    metricsText: async () => ({ contentType: services.metrics.registry.contentType, body: await services.metrics.registry.metrics() }),
    onErrorCode: (code) => services.metrics.errors.inc({ code }),
  });
  // The real gateway's server settings, and its per-request bookkeeping of requests in flight.
  let inFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    res.once("close", () => inFlight--);
    handler(req, res);
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port, options.host, () => {
      server.off("error", fail);
      done();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.close();
      server.closeAllConnections();
      if (inFlight > 0) logger.warn({ inFlight }, "ceiling: closing with requests in flight");
      await apollo.stop();
    },
  };
}

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`ceiling: ${error.message}`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel, "gateway-ceiling");
  const ceiling = await startCeilingGateway({ jwtSecret: config.jwtSecret, nodeEnv: config.nodeEnv, logger, port: config.port });
  logger.info({ port: config.port }, "gateway ceiling (no I/O) listening");
  exitOnSignals(() => ceiling.close(), (error) => logger.error({ err: error }, "ceiling: shutdown failed"));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error("ceiling failed to start:", error);
    process.exit(1);
  });
}
