import type { PrismaClient } from "@coop/database";
import type { EventStore } from "@coop/event-store";
import type { ReadDeps } from "../context";
import { toSafeNumber } from "../graphql/values";
import type { ProjectionStatus } from "./projection.types";

/** Projection checkpoints and how far each is behind the event store. */
export class ProjectionQueries {
  private readonly prisma: PrismaClient;
  private readonly eventStore: EventStore;

  constructor({ prisma, eventStore }: ReadDeps) {
    this.prisma = prisma;
    this.eventStore = eventStore;
  }

  async statuses(): Promise<ProjectionStatus[]> {
    const [rows, headPosition] = await Promise.all([
      this.prisma.projection.findMany({ orderBy: { name: "asc" } }),
      this.eventStore.headPosition(),
    ]);
    // Lag in events, counted in the event store's own order (transaction id, position).
    const lags = await Promise.all(
      rows.map((row) => this.eventStore.countAfter({ transactionId: row.transactionId.toString(), position: row.position.toString() })),
    );
    return rows.map((row, i) => ({
      name: row.name,
      position: row.position.toString(),
      headPosition,
      lag: lags[i]!,
      status: row.status,
      lastError: row.lastError,
      eventsProcessed: toSafeNumber(row.eventsProcessed),
      updatedAt: row.updatedAt,
    }));
  }
}
