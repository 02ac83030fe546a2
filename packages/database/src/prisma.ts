import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";

// Every enum of schema.prisma (ProjectionState, ...), as values and types.
export * from "./generated/prisma/enums";
export type {
  AtRiskFamily,
  CoordinatorAssignment,
  CoordinatorCaseload,
  CoordinatorView,
  Event,
  FamilyComment,
  FamilyView,
  PaymentMonth,
  PaymentMonthFamily,
  PaymentMonthMethod,
  Prisma,
  ProcessedCommand,
  Projection,
  PublisherCheckpoint,
  Snapshot,
  UniqueClaim,
} from "./generated/prisma/client";
export type { PrismaClient };

export interface PrismaClientOptions {
  /** Pool size of the adapter's own pg pool. */
  max?: number;
}

/** The generated client over @prisma/adapter-pg (no native engine needed). Call $disconnect() when done. */
export function createPrismaClient(url: string, options: PrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg(
    { connectionString: url, max: options.max ?? 10 },
    { onPoolError: (error) => console.error(`prisma pg pool: idle client error: ${error.message}`) },
  );
  return new PrismaClient({ adapter });
}
