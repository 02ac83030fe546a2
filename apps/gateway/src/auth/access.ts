import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { Role, Viewer } from "./viewer";

/** Roles allowed on a root field; ANY_ROLE means any of the known roles. */
export type Rule = readonly Role[];
export const ANY_ROLE: Rule = ["admin", "coordinator", "finance"];
const COORDINATION: Rule = ["coordinator", "admin"];
const FINANCE: Rule = ["finance", "admin"];
const ADMIN: Rule = ["admin"];

/**
 * THE access table: every root field of the schema, by operation type. A field without a rule is a
 * start-up error (`checkAccessTable`), so a new query or mutation cannot ship unguarded.
 */
export const ACCESS_RULES: { readonly Query: Readonly<Record<string, Rule>>; readonly Mutation: Readonly<Record<string, Rule>> } = {
  Query: {
    family: ANY_ROLE,
    searchFamilies: ANY_ROLE,
    atRiskFamilies: COORDINATION,
    familiesByRiskTier: COORDINATION,
    paymentAnalytics: FINANCE,
    familyHistory: COORDINATION,
    projections: ADMIN,
  },
  Mutation: {
    enrollFamily: COORDINATION,
    addChild: COORDINATION,
    recordPayment: FINANCE,
    updateEngagementScore: COORDINATION,
    assessRisk: COORDINATION,
    recordContact: COORDINATION,
    assignCoordinator: COORDINATION,
    withdrawFamily: COORDINATION,
  },
};

/** Throws unless the table and the schema's Query and Mutation fields match one to one. */
export function checkAccessTable(schema: GraphQLSchema, rules = ACCESS_RULES): void {
  const problems: string[] = [];
  for (const [typeName, type] of [
    ["Query", schema.getQueryType()],
    ["Mutation", schema.getMutationType()],
  ] as const) {
    const table = rules[typeName];
    const fields = type ? Object.keys(type.getFields()) : [];
    for (const field of fields) if (!table[field]) problems.push(`${typeName}.${field} has no access rule`);
    for (const field of Object.keys(table)) if (!fields.includes(field)) problems.push(`access rule for ${typeName}.${field}, which the schema does not have`);
  }
  if (schema.getSubscriptionType()) problems.push("subscriptions have no access rules");
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
export function deniedField(
  viewer: Viewer | null,
  operationType: "query" | "mutation" | "subscription",
  fields: readonly string[],
  rules = ACCESS_RULES,
): string | null {
  const table = operationType === "mutation" ? rules.Mutation : operationType === "query" ? rules.Query : null;
  for (const field of fields) {
    if (isIntrospectionField(field)) continue;
    const rule = table?.[field];
    if (!rule || !viewer || !rule.some((role) => viewer.roles.has(role))) return field;
  }
  return null;
}
