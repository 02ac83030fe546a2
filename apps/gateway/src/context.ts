import type pg from "pg";
import type { CommandBus } from "@coop/command-bus";
import type { EventCodec, EventStore } from "@coop/event-store";
import type { Viewer } from "./auth/viewer";
import type { Consistency } from "./consistency/consistency";
import type { Logger } from "./logger";
import type { Family } from "./families/family.types";
import type { TenantReader } from "./reads/tenant-reader";
import type { FamilyChangeHub } from "./subscriptions/family-change-hub";
import type { GatewayMetrics } from "./transport/metrics";

/** What a feature's read queries are made of. */
export interface ReadDeps {
  /**
   * Every read of tenant data (read models, the event store's history): as the database's reader
   * role under row-level security, scoped to the viewer's tenant and roles.
   */
  reader: TenantReader;
  /**
   * The owner's pool, for the projections' own bookkeeping only (checkpoints, lanes, dead letters,
   * the head position): operational state that is no tenant's rows and that the reader role may not
   * read. Never for read models or events.
   */
  pool: pg.Pool;
  /**
   * Opens the personal fields of events the reader read (the keys are looked up as the owner: the
   * reader role may not read them). Null when the store seals nothing.
   */
  codec: EventCodec | null;
}

/** A feature's read queries: a class made once per gateway from the read dependencies. */
export type ReadQueries<T> = new (deps: ReadDeps) => T;

/** What resolvers work with; one set per gateway, shared by all its requests. */
export interface Services {
  bus: CommandBus;
  eventStore: EventStore;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Read your writes: waits until read models include a position. */
  consistency: Consistency;
  /** Live updates: the subscriptions' streams, fed by the workers' change announcements. */
  live: FamilyChangeHub<Family>;
  /** Today's UTC date, YYYY-MM-DD (derived read-model fields: ages, days since contact). */
  today(): string;
  /**
   * A feature's read queries, made on first use and kept for the gateway's life: a feature adds
   * its queries without this interface naming every feature.
   */
  read<T>(queries: ReadQueries<T>): T;
}

/** One request's context. `viewer` is null only for pure introspection without a token. */
export interface GatewayContext {
  viewer: Viewer | null;
  correlationId: string;
  services: Services;
  /** X-Consistent-With: read models are read once they include every event up to this position. */
  consistentWith?: string | null;
  /** This request's waits for read models, by the projections waited for (each waited once). */
  consistencyWaits?: Map<string, Promise<void>>;
  /** When this request's waits give up (CONSISTENCY_TIMEOUT). */
  consistencyDeadline?: number;
  /** A subscription's WebSocket connection (absent over HTTP). */
  connection?: SubscriptionConnection;
}

/** What a subscription may do to its connection. */
export interface SubscriptionConnection {
  /** Closes the socket (every subscription on it ends). */
  close(code: number, reason: string): void;
}

/** `read` for a gateway: one instance of each query class, made from `deps` on first use. */
export function readQueriesOf(deps: ReadDeps): Services["read"] {
  const made = new Map<ReadQueries<unknown>, unknown>();
  return <T>(queries: ReadQueries<T>): T => {
    let instance = made.get(queries) as T | undefined;
    if (instance === undefined) {
      instance = new queries(deps);
      made.set(queries, instance);
    }
    return instance;
  };
}
