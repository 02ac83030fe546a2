/** Identifies a stream. Stream ids are scoped by tenant: two tenants may hold the same id. */
export interface StreamRef {
  tenantId: string;
  streamType: string;
  streamId: string;
}

/** An event about to be appended. */
export interface NewEvent {
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
  schemaVersion: number;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: Date;
}

/** Turns a stored event of any schema version into the current shape; throws on unknown types. */
export type Upcast = (stored: { type: string; schemaVersion: number; data: unknown }) => {
  type: string;
  data: unknown;
};

/** Recorded with the events, in the same statement: the command's idempotency record. */
export interface CommandRecord {
  commandId: string;
  commandType: string;
  payloadHash: string;
  userId: string;
  correlationId: string;
}

export type AppendResult =
  | { ok: true; version: number; position: string; checkpoint: Checkpoint }
  | { ok: false; reason: "WrongExpectedVersion"; expectedVersion: number }
  | { ok: false; reason: "CommandAlreadyRecorded"; commandId: string };

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
  events: { streamVersion: number; type: string; data: unknown }[];
}
