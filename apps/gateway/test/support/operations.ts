// Every operation the tests send, from the modules' test kits (src/*/*.test-kit.ts): a new
// operation adds its rows to its module's kit, and the shared tests (schema, access, errors, fuzz,
// scenario) pick it up. A new module adds its kit to `kits` (schema.spec.ts checks that every
// module has one).
import { commentKit } from "../../src/comments/comment.test-kit";
import { coordinatorKit } from "../../src/coordinators/coordinator.test-kit";
import { familyKit } from "../../src/families/family.test-kit";
import { projectionKit } from "../../src/projections/projection.test-kit";
import type { MutationCase, QueryCase, StreamKind } from "../../src/testing/feature-kit";

export { FAMILY_FIELDS } from "../../src/families/family.test-kit";

export const kits = [familyKit, commentKit, coordinatorKit, projectionKit] as const;

const mutations = { ...familyKit.mutations, ...commentKit.mutations, ...coordinatorKit.mutations, ...projectionKit.mutations };
export type MutationName = keyof typeof mutations;
export const MUTATIONS: Readonly<Record<MutationName, MutationCase>> = mutations;
export const mutationNames = Object.keys(MUTATIONS) as MutationName[];

const queries = { ...familyKit.queries, ...commentKit.queries, ...coordinatorKit.queries, ...projectionKit.queries };
export type QueryName = keyof typeof queries;
export const QUERIES: Readonly<Record<QueryName, QueryCase>> = queries;

/** Subscriptions (over WebSocket), by root field. */
export const SUBSCRIPTIONS: Readonly<Record<string, QueryCase>> = Object.fromEntries(kits.flatMap((kit) => Object.entries(kit.subscriptions ?? {})));

const documentsOf = <T extends Record<string, { document: string }>>(cases: T) =>
  Object.fromEntries(Object.entries(cases).map(([name, c]) => [name, c.document])) as { [K in keyof T]: string };

/** Mutation documents by root field. */
export const M = documentsOf(MUTATIONS);

/** Query documents by root field, and the kits' further documents. */
export const Q = { ...documentsOf(QUERIES), ...familyKit.documents, ...commentKit.documents, ...coordinatorKit.documents, ...projectionKit.documents };

/** A valid input of the mutation on `streamId` (a stream of the mutation's kind). */
export function validInput(name: MutationName, streamId: string, today: string, n = 0): Record<string, unknown> {
  return MUTATIONS[name].validInput(streamId, today, n);
}

/** Mutations that act on an existing stream of a kind (not the ones that create it). */
export function mutationsOn(kind?: StreamKind): MutationName[] {
  return mutationNames.filter((name) => !MUTATIONS[name].stream.creates && (kind === undefined || MUTATIONS[name].stream.kind === kind));
}

/** The mutation that creates a stream of the kind. */
export function creatorOf(kind: StreamKind): MutationName {
  const name = mutationNames.find((n) => MUTATIONS[n].stream.kind === kind && MUTATIONS[n].stream.creates);
  if (!name) throw new Error(`no mutation creates a ${kind}`);
  return name;
}

export const badInputs = kits.flatMap((kit) => kit.badInputs);
export const badArguments = kits.flatMap((kit) => kit.badArguments);
