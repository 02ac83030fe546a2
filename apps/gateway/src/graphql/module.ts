// A GraphQL module: one feature's resolvers, with the access rule of each root field it declares
// and the read models each of its query fields reads. The gateway's list of modules
// (`src/modules.ts`) is the one list to edit; the schema, the access table and the start-up check
// are derived from it.
import type { GraphQLSchema } from "graphql";
import type { ClassType } from "type-graphql";
import { checkAccessTable, type AccessTable, type RootTypeName, type Rule } from "../auth/access";

/**
 * What a field reads: a projection's read model by the projection's name (as in
 * `apps/worker/src/projections/*.projection.ts`), or `events`, the event store itself.
 */
export type ReadSource = string;
export const EVENT_STORE: ReadSource = "events";

/** A query field: who may ask, and what it reads (so that a read can wait for those read models). */
export interface QueryRule {
  roles: Rule;
  reads: readonly ReadSource[];
}

/** A mutation: who may send it. */
export interface MutationRule {
  roles: Rule;
}

export interface GraphQLModule {
  /** The feature, named as its folder (`families`, `comments`, ...). */
  readonly name: string;
  /** type-graphql resolver classes: root fields, and field resolvers on any module's types. */
  readonly resolvers: readonly ClassType[];
  readonly Query?: Readonly<Record<string, QueryRule>>;
  readonly Mutation?: Readonly<Record<string, MutationRule>>;
  readonly Subscription?: Readonly<Record<string, QueryRule>>;
  /**
   * Fields this module resolves on object types (its own or another module's) that read a read
   * model of their own, as `Type.field`: e.g. `Family.comments`.
   */
  readonly fields?: Readonly<Record<string, { reads: readonly ReadSource[] }>>;
}

export function defineModule<const M extends GraphQLModule>(module: M): M {
  return Object.freeze(module);
}

const ROOTS: readonly RootTypeName[] = ["Query", "Mutation", "Subscription"];

/** Every resolver class of the modules, in module order (the order of the schema's fields). */
export function resolversOf(modules: readonly GraphQLModule[]): [ClassType, ...ClassType[]] {
  const resolvers = modules.flatMap((m) => m.resolvers);
  if (resolvers.length === 0) throw new Error("no GraphQL module has a resolver");
  return resolvers as [ClassType, ...ClassType[]];
}

/** The access table of the modules; a root field declared by two modules is an error. */
export function accessTable(modules: readonly GraphQLModule[]): AccessTable {
  const problems: string[] = [];
  const table = { Query: {}, Mutation: {}, Subscription: {} } as Record<RootTypeName, Record<string, Rule>>;
  const owner = new Map<string, string>();
  for (const module of modules) {
    for (const root of ROOTS) {
      for (const [field, rule] of Object.entries(module[root] ?? {})) {
        const key = `${root}.${field}`;
        const other = owner.get(key);
        if (other) problems.push(`${key} is declared by both ${other} and ${module.name}`);
        owner.set(key, module.name);
        table[root][field] = rule.roles;
      }
    }
  }
  if (problems.length > 0) throw new Error(`GraphQL modules overlap:\n  ${problems.join("\n  ")}`);
  return table;
}

/** What each query and subscription field, and each declared type field, reads: `Query.family` -> [family-detail]. */
export function readsTable(modules: readonly GraphQLModule[]): ReadonlyMap<string, readonly ReadSource[]> {
  const reads = new Map<string, readonly ReadSource[]>();
  for (const module of modules) {
    for (const root of ["Query", "Subscription"] as const) {
      for (const [field, rule] of Object.entries(module[root] ?? {})) reads.set(`${root}.${field}`, rule.reads);
    }
    for (const [field, rule] of Object.entries(module.fields ?? {})) reads.set(field, rule.reads);
  }
  return reads;
}

/**
 * The start-up check: every operation of the schema has exactly one access rule, every rule names
 * a field of the schema, every query and subscription field says what it reads, and every declared
 * type field exists. Throws with every problem found.
 */
export function checkModules(schema: GraphQLSchema, modules: readonly GraphQLModule[]): void {
  const problems: string[] = [];
  try {
    checkAccessTable(schema, accessTable(modules));
  } catch (error) {
    problems.push((error as Error).message);
  }
  for (const module of modules) {
    for (const root of ["Query", "Subscription"] as const) {
      for (const [field, rule] of Object.entries(module[root] ?? {})) {
        if (!Array.isArray(rule.reads) || rule.reads.length === 0 || rule.reads.some((r) => typeof r !== "string" || r === "")) {
          problems.push(`${root}.${field} (module ${module.name}) does not say which read models it reads ("reads")`);
        }
      }
    }
    for (const [key, rule] of Object.entries(module.fields ?? {})) {
      const [typeName, field, ...rest] = key.split(".");
      const type = typeName ? schema.getType(typeName) : undefined;
      const fields = type && "getFields" in type ? type.getFields() : undefined;
      if (rest.length > 0 || !field || !fields || !Object.hasOwn(fields, field)) {
        problems.push(`module ${module.name} declares reads for ${key}, which the schema does not have`);
      } else if (rule.reads.length === 0) {
        problems.push(`${key} (module ${module.name}) does not say which read models it reads ("reads")`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`the GraphQL modules do not match the schema:\n  ${problems.join("\n  ")}`);
}
