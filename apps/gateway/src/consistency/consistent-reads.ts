// X-Consistent-With (CONTRACT section 6): every field that reads a read model first waits until
// the read models it reads include the request's position. What a field reads is declared by its
// module (`reads`); fields reading only the event store need no wait (the receipt's events are
// committed). One request waits once per set of read models, whatever the number of fields.
import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import type { GatewayContext } from "../context";
import { consistencyTimeout } from "../errors/errors";
import { EVENT_STORE, type ReadSource } from "../graphql/module";
import { ConsistencyTimeout } from "./consistency";

const WRAPPED = Symbol("waits for X-Consistent-With");

/** Until the read models listed include the request's position (no-op without the header). */
export function consistentRead(ctx: GatewayContext, projections: readonly string[]): Promise<void> | null {
  const position = ctx.consistentWith;
  if (!position || projections.length === 0) return null;
  const waits = (ctx.consistencyWaits ??= new Map());
  const key = projections.join(",");
  let wait = waits.get(key);
  if (!wait) {
    const { consistency } = ctx.services;
    // One deadline for the whole request, from its first wait.
    ctx.consistencyDeadline ??= consistency.deadline();
    wait = consistency.untilIncluded(projections, position, ctx.consistencyDeadline).catch((error: unknown) => {
      throw error instanceof ConsistencyTimeout ? consistencyTimeout(error.message) : error;
    });
    waits.set(key, wait);
  }
  return wait;
}

/**
 * Wraps, once, the resolver of every Query field and declared type field that reads a read model,
 * so that it first waits for the request's position.
 */
export function waitForConsistentReads(schema: GraphQLSchema, reads: ReadonlyMap<string, readonly ReadSource[]>): void {
  for (const [key, sources] of reads) {
    const [typeName, fieldName] = key.split(".") as [string, string];
    if (typeName === "Subscription") continue; // pushed after the commit: nothing to wait for
    const projections = [...new Set(sources.filter((s) => s !== EVENT_STORE))].sort();
    if (projections.length === 0) continue;
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`reads are declared for ${key}, but ${typeName} is not an object type`);
    const field = type.getFields()[fieldName];
    if (!field) throw new Error(`reads are declared for ${key}, which the schema does not have`);
    const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, GatewayContext> & { [WRAPPED]?: true };
    if (resolve[WRAPPED]) continue;
    const wrapped: GraphQLFieldResolver<unknown, GatewayContext> & { [WRAPPED]?: true } = (source, args, ctx, info) => {
      const wait = consistentRead(ctx, projections);
      return wait ? wait.then(() => resolve(source, args, ctx, info)) : resolve(source, args, ctx, info);
    };
    wrapped[WRAPPED] = true;
    field.resolve = wrapped;
  }
}
