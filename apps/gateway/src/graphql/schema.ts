import "reflect-metadata";
import { printSchema, type GraphQLSchema } from "graphql";
import { buildSchemaSync } from "type-graphql";
import { FamilyResolver } from "../families/family.resolver";
import { ProjectionResolver } from "../projections/projection.resolver";

let schema: GraphQLSchema | undefined;

/**
 * The GraphQL schema, built once per process from the resolvers' decorators. Resolvers hold no
 * state: each request's context carries its gateway's services, so several gateways (tests) can
 * share the one schema.
 */
export function gatewaySchema(): GraphQLSchema {
  schema ??= buildSchemaSync({
    resolvers: [FamilyResolver, ProjectionResolver],
    validate: false,
    emitSchemaFile: false,
  });
  return schema;
}

/** The schema as SDL in declaration order (deterministic): what schema.graphql holds. */
export function printGatewaySchema(): string {
  return `${printSchema(gatewaySchema())}\n`;
}
