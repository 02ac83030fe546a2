import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";
import { guardOptions, type SessionGuards } from "./session-guards";

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
  /** Timeouts and keepalives for every session (see session-guards.ts). */
  guards?: SessionGuards;
  application_name?: string;
  /** Where connection errors go; defaults to stderr. */
  onError?: (error: Error) => void;
}

/** The generated client over @prisma/adapter-pg (no native engine needed). Call $disconnect() when done. */
export function createPrismaClient(url: string, options: PrismaClientOptions = {}): PrismaClient {
  const onError = options.onError ?? ((error: Error) => console.error(`prisma pg pool: client error: ${error.message}`));
  const adapter = new PrismaPg(
    {
      connectionString: url,
      max: options.max ?? 10,
      application_name: options.application_name,
      options: options.guards ? guardOptions(options.guards) : undefined,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
    },
    { onPoolError: onError, onConnectionError: onError },
  );
  return new PrismaClient({ adapter });
}
