import "reflect-metadata";
import { printSchema, type GraphQLSchema } from "graphql";
import { buildSchemaSync, type PubSub } from "type-graphql";
import type { AccessTable } from "../auth/access";
import { waitForConsistentReads } from "../consistency/consistent-reads";
import { modules } from "../modules";
import { accessTable, checkModules, readsTable, resolversOf, type ReadSource } from "./module";

let schema: GraphQLSchema | undefined;

/**
 * type-graphql wants a PubSub as soon as the schema has a subscription, even when every one brings
 * its own `subscribe` (ours do: src/subscriptions/family-change-hub.ts). Using this one is a bug.
 */
const NO_PUBSUB: PubSub = {
  publish() {
    throw new Error("subscriptions publish through the change feed, not type-graphql's PubSub");
  },
  subscribe() {
    throw new Error("every subscription field must have its own subscribe function");
  },
};

/**
 * The GraphQL schema, built once per process from the modules' resolvers and checked against
 * their rules (an operation without a rule, a rule without an operation, a query field that does
 * not say what it reads: start-up errors). Resolvers hold no state: each request's context carries
 * its gateway's services, so several gateways (tests) can share the one schema.
 */
export function gatewaySchema(): GraphQLSchema {
  if (!schema) {
    const built = buildSchemaSync({ resolvers: resolversOf(modules), validate: false, emitSchemaFile: false, pubSub: NO_PUBSUB });
    checkModules(built, modules);
    waitForConsistentReads(built, readsTable(modules));
    schema = built;
  }
  return schema;
}

/** The roles of every root field, from the modules. */
export const gatewayAccess: AccessTable = accessTable(modules);

/** What each query field (`Query.family`) and declared type field (`Family.comments`) reads. */
export const gatewayReads: ReadonlyMap<string, readonly ReadSource[]> = readsTable(modules);

/** The schema as SDL in declaration order (deterministic): what schema.graphql holds. */
export function printGatewaySchema(): string {
  return `${printSchema(gatewaySchema())}\n`;
}
