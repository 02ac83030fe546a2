import type { CommandBus } from "@coop/command-bus";
import type { PrismaClient } from "@coop/database";
import type { EventStore } from "@coop/event-store";
import type { Viewer } from "./auth/viewer";
import type { FamilyQueries } from "./families/family.queries";
import type { ProjectionQueries } from "./projections/projection.queries";
import type { Logger } from "./logger";
import type { GatewayMetrics } from "./transport/metrics";

/** What resolvers work with; one set per gateway, shared by all its requests. */
export interface Services {
  bus: CommandBus;
  eventStore: EventStore;
  prisma: PrismaClient;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Today's UTC date, YYYY-MM-DD (derived read-model fields: ages, days since contact). */
  today(): string;
  families: FamilyQueries;
  projections: ProjectionQueries;
}

/** One request's context. `viewer` is null only for pure introspection without a token. */
export interface GatewayContext {
  viewer: Viewer | null;
  correlationId: string;
  services: Services;
}
