/**
 * Identifies a stream. Stream ids are scoped by tenant (two tenants may hold the same id), and a
 * stream belongs to one type for good: appending events of another type to it is refused.
 */
export interface StreamRef {
  tenantId: string;
  streamType: string;
  streamId: string;
}

/** An event about to be appended. */
export interface NewEvent {
  /** Time-ordered (UUIDv7) when omitted. */
  eventId?: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: Record<string, unknown>;
}

/**
 * The order of the global log: transactions commit out of position order, so readers order and
 * resume by (transactionId, position), both 64-bit integers carried as decimal text.
 */
export interface Checkpoint {
  transactionId: string;
  position: string;
}

export const START: Checkpoint = Object.freeze({ transactionId: "0", position: "0" });

/** An event as stored, with its data in the current schema unless read raw. */
export interface RecordedEvent {
  position: string;
  transactionId: string;
  eventId: string;
  tenantId: string;
  streamId: string;
  streamType: string;
  streamVersion: number;
  type: string;
  /** The schema version of `data`: as stored when read raw, else the one upcasting reached. */
  schemaVersion: number;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: Date;
  /** A stable hash of the stream (28 bits): its lane in a projection with N lanes is streamHash % N. */
  streamHash: number;
}

/** Turns a stored event of any schema version into the current shape; throws on unknown types. */
export type Upcast = (stored: { type: string; schemaVersion: number; data: unknown }) => {
  type: string;
  data: unknown;
  schemaVersion: number;
};

/** Recorded with the events, in the same statement: the command's idempotency record. */
export interface CommandRecord {
  commandId: string;
  commandType: string;
  payloadHash: string;
  userId: string;
  correlationId: string;
}

/** A value unique in the tenant, claimed by the stream in the same statement as its events. */
export interface Claim {
  scope: string;
  value: string;
}

/** An event of one stream as an aggregate folds it: version, type and current-shape data. */
export interface StreamEvent {
  streamVersion: number;
  type: string;
  data: unknown;
}

export type AppendResult =
  | { ok: true; version: number; position: string; checkpoint: Checkpoint }
  /**
   * The stream is not at the expected version. `missed` holds the events after the expected
   * version, read in the same statement, so a stale cache catches up without another round trip;
   * it is absent when the clash was with a transaction that committed during the statement.
   */
  | { ok: false; reason: "WrongExpectedVersion"; expectedVersion: number; missed?: StreamEvent[] }
  /** The id belongs to a stream of another type: nothing was appended. */
  | { ok: false; reason: "StreamTypeMismatch"; streamType: string }
  | { ok: false; reason: "CommandAlreadyRecorded"; commandId: string }
  /** Another stream of the tenant holds this claim: nothing was appended. */
  | { ok: false; reason: "ClaimTaken"; claim: Claim };

export interface CommandReceipt {
  commandId: string;
  streamId: string;
  version: number;
  position: string;
  events: string[];
}

export interface StoredReceipt extends CommandReceipt {
  commandType: string;
  payloadHash: string;
}

export interface Snapshot<S = unknown> {
  version: number;
  schemaVersion: number;
  state: S;
}

/** What an aggregate needs to rebuild itself: a snapshot (if one fits) and the events after it. */
export interface StreamLoad<S = unknown> {
  snapshot: Snapshot<S> | null;
  events: StreamEvent[];
  /** The stream's last version (0 when it has no events). */
  head: number;
  /** The type of the stream's events, null when it has none. */
  streamType: string | null;
}
