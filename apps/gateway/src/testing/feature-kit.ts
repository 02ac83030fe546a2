// What a GraphQL module brings to the gateway's shared tests: a document and a valid request for
// each of its operations, the roles the contract gives them, the contract's lines for the types it
// declares or extends, and inputs that are wrong in one field. The shared tests (schema, access,
// errors, fuzz, scenario) iterate over every kit, so a new operation adds its own rows in its
// module's kit and is picked up. Test-only: nothing in the gateway imports a kit.
import type { Role } from "../auth/viewer";

/** The kinds of stream mutations act on. */
export type StreamKind = "family" | "coordinator";

export interface MutationCase {
  /** The mutation with `$input` and the whole receipt. */
  document: string;
  /** The roles the contract allows. */
  roles: readonly Role[];
  /** The stream it acts on: an existing one (an unknown id is NOT_FOUND), or one it creates. */
  stream: { kind: StreamKind; creates?: boolean };
  /** A valid input on `streamId` (creating that stream when `creates`); `n` varies names and numbers. */
  validInput(streamId: string, today: string, n: number): Record<string, unknown>;
}

export interface QueryCase {
  document: string;
  roles: readonly Role[];
  /** Variables of a valid request on ids that need not exist. */
  variables?(): Record<string, unknown>;
}

/** A mutation input wrong in one field: BAD_USER_INPUT naming `field`, nothing appended. */
export interface BadInput {
  name: string;
  mutation: string;
  /** The input, given an existing stream of the mutation's kind. */
  input(streamId: string, today: string): Record<string, unknown>;
  field: string;
}

/** Query arguments wrong in one argument: BAD_USER_INPUT naming `field`. */
export interface BadArguments {
  name: string;
  document: string;
  variables?: Record<string, unknown>;
  field: string;
}

export interface FeatureKit<M extends Record<string, MutationCase>, Q extends Record<string, QueryCase>, D extends Record<string, string>> {
  /** The module's name (src/modules.ts). */
  module: string;
  mutations: M;
  queries: Q;
  /** Its subscriptions (served over WebSocket): a document and the roles the contract allows. */
  subscriptions?: Readonly<Record<string, QueryCase>>;
  /** Further documents of the feature's tests (variants of its queries). */
  documents: D;
  /**
   * The contract's fields of the types it declares or extends ("name(args): Type"), in order; for
   * Query and Mutation, its root fields.
   */
  contract: Readonly<Record<string, readonly string[]>>;
  enums?: Readonly<Record<string, readonly string[]>>;
  badInputs: readonly BadInput[];
  badArguments: readonly BadArguments[];
}

export function defineFeatureKit<
  const M extends Record<string, MutationCase>,
  const Q extends Record<string, QueryCase>,
  const D extends Record<string, string> = Record<never, string>,
>(kit: FeatureKit<M, Q, D>): FeatureKit<M, Q, D> {
  return kit;
}

/** The role a test sends an operation as: a non-admin role it allows, else admin. */
export function senderRole(roles: readonly Role[]): Role {
  return roles.find((r) => r !== "admin") ?? "admin";
}
