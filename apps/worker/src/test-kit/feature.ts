// What a feature brings to the worker's test kit: its commands in the random workload, and an
// independent model of what its read models must hold. The kit's features are the list in
// features.ts; adding a feature is one file beside these and one line there.
import type { Random } from "./random";

/** A command as the bus takes it (the envelope is added when it is sent). */
export interface AnyCommand {
  type: string;
  payload: Record<string, unknown>;
}

/** One stream's commands, sent in order; streams are interleaved at random. */
export interface StreamPlan {
  tenantId: string;
  streamId: string;
  commands: AnyCommand[];
}

export interface Workload {
  seed: number;
  plans: StreamPlan[];
  totalCommands: number;
}

export interface WorkloadOptions {
  seed: number;
  /** Families to enroll. */
  families: number;
  /** Commands in all (roughly: features add a few of their own). */
  commands: number;
  tenants?: readonly string[];
  /** A payment with this transaction id is recorded early for the first family (fault injection). */
  poisonTransactionId?: string;
}

export type Verdict = { accepted: true } | { accepted: false; reason: string };

/** Expected rows of one table: the key columns and every row as the table holds it (updated_at aside). */
export interface ExpectedTable {
  keys: string[];
  rows: object[];
  /** Columns the model cannot know (timestamps), checked by `check` against the events instead. */
  unchecked?: string[];
}

export interface FeatureModel {
  /** The domain's verdict on a command of this feature, given everything accepted before; null when not its own. */
  predict(tenantId: string, command: AnyCommand): Verdict | null;
  /** Sees every accepted command (of any feature), in the order each stream accepted them. */
  accept(tenantId: string, command: AnyCommand): void;
  /** The rows its read-model tables must hold. */
  tables(): Record<string, ExpectedTable>;
  /** Further checks against the database (e.g. timestamps that only the events know); problems found. */
  check?(query: (sql: string) => Promise<number>): Promise<string[]>;
}

export interface TestFeature {
  name: string;
  /** Adds the feature's commands: new stream plans, or commands inserted into other plans. */
  plan(workload: { plans: StreamPlan[]; tenants: readonly string[] }, options: WorkloadOptions, rnd: Random): void;
  model(): FeatureModel;
}
