import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { isRole, ROLES, type Role, type Viewer } from "./viewer";

/** Roles allowed on a root field; ANY_ROLE means any of the known roles. */
export type Rule = readonly Role[];
export const ANY_ROLE: Rule = ["admin", "coordinator", "finance"];
export const COORDINATION: Rule = ["coordinator", "admin"];
export const FINANCE: Rule = ["finance", "admin"];
export const ADMIN: Rule = ["admin"];

export type OperationType = "query" | "mutation" | "subscription";
export const ROOT_TYPES = { query: "Query", mutation: "Mutation", subscription: "Subscription" } as const;
export type RootTypeName = (typeof ROOT_TYPES)[OperationType];

/**
 * The access table: the roles of every root field, by root type. It is derived from the GraphQL
 * modules (`src/modules.ts`), each of which carries the rules of its own fields.
 */
export type AccessTable = { readonly [T in RootTypeName]: Readonly<Record<string, Rule>> };

/**
 * Throws unless the table and the schema's Query, Mutation and Subscription fields match one to
 * one, so that a new operation cannot ship unguarded (checked at start-up).
 */
export function checkAccessTable(schema: GraphQLSchema, rules: AccessTable): void {
  const problems: string[] = [];
  for (const [typeName, type] of [
    ["Query", schema.getQueryType()],
    ["Mutation", schema.getMutationType()],
    ["Subscription", schema.getSubscriptionType()],
  ] as const) {
    const table = rules[typeName];
    const fields = type ? Object.keys(type.getFields()) : [];
    for (const field of fields) if (!Object.hasOwn(table, field)) problems.push(`${typeName}.${field} has no access rule`);
    for (const field of Object.keys(table)) if (!fields.includes(field)) problems.push(`access rule for ${typeName}.${field}, which the schema does not have`);
    for (const [field, rule] of Object.entries(table)) {
      if (rule.length === 0 || !rule.every(isRole)) problems.push(`${typeName}.${field}: its rule must name one or more of ${ROLES.join(", ")}, and nothing else`);
    }
  }
  if (problems.length > 0) throw new Error(`access table does not match the schema:\n  ${problems.join("\n  ")}`);
}

/** The root fields an operation selects (through fragments too), without duplicates. */
export function rootFields(operation: OperationDefinitionNode, document: DocumentNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name)) {
          seen.add(name);
          walk(fragment.selectionSet);
        }
      }
    }
  };
  walk(operation.selectionSet);
  return [...names];
}

export function isIntrospectionField(name: string): boolean {
  return name.startsWith("__");
}

/**
 * The first root field the viewer may not use, or null when all are allowed. Introspection fields
 * need no role.
 */
export function deniedField(viewer: Viewer | null, operationType: OperationType, fields: readonly string[], rules: AccessTable): string | null {
  const table = rules[ROOT_TYPES[operationType]];
  for (const field of fields) {
    if (isIntrospectionField(field)) continue;
    const rule = Object.hasOwn(table, field) ? table[field] : undefined;
    if (!rule || !viewer || !rule.some((role) => viewer.roles.has(role))) return field;
  }
  return null;
}
