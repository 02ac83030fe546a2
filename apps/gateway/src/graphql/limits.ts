import {
  GraphQLError,
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";

export interface QueryLimits {
  /** Nesting of ordinary fields (a root field is depth 1). */
  maxDepth: number;
  /** Field selections after expanding fragments, root fields weighing `rootFieldCost`. */
  maxCost: number;
  rootFieldCost: number;
  /** Introspection: nesting of list fields (types, fields, args, ...) along one path. */
  maxIntrospectionListDepth: number;
  maxIntrospectionDepth: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxCost: 1_000,
  rootFieldCost: 25,
  maxIntrospectionListDepth: 3,
  maxIntrospectionDepth: 20,
};

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/**
 * A validation rule bounding what one document may ask for: depth, a cost estimate (field count
 * with fragments expanded; every root field costs more, it is a database read) and, for
 * introspection, the nesting of list fields, whose response grows exponentially with it. Runs once
 * per distinct document: Apollo caches validated documents.
 */
export function queryLimitsRule(limits: QueryLimits = DEFAULT_LIMITS) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const schema = context.getSchema();
    return {
      OperationDefinition(operation) {
        const root =
          operation.operation === "mutation" ? schema.getMutationType() : operation.operation === "subscription" ? schema.getSubscriptionType() : schema.getQueryType();
        if (!root) return;
        let cost = 0;
        let failure: string | null = null;
        const walk = (
          selectionSet: SelectionSetNode,
          parentType: unknown,
          depth: number,
          introspection: { depth: number; lists: number } | null,
          fragmentPath: ReadonlySet<string>,
        ) => {
          for (const selection of selectionSet.selections) {
            if (failure) return;
            if (selection.kind === Kind.FRAGMENT_SPREAD) {
              const name = selection.name.value;
              const fragment = fragments.get(name);
              if (!fragment || fragmentPath.has(name)) continue; // unknown or cyclic: other rules report it
              // Spreads cost too, so that fragments spread in fragments cannot multiply the walk unseen.
              if (++cost > limits.maxCost) {
                failure = `The query is too complex (cost above ${limits.maxCost}); ask for fewer fields or split it`;
                return;
              }
              walk(fragment.selectionSet, parentType, depth, introspection, new Set([...fragmentPath, name]));
              continue;
            }
            if (selection.kind === Kind.INLINE_FRAGMENT) {
              walk(selection.selectionSet, parentType, depth, introspection, fragmentPath);
              continue;
            }
            const name = selection.name.value;
            cost += depth === 1 && !name.startsWith("__") ? limits.rootFieldCost : 1;
            if (cost > limits.maxCost) {
              failure = `The query is too complex (cost above ${limits.maxCost}); ask for fewer fields or split it`;
              return;
            }
            const fields =
              parentType && typeof parentType === "object" && "getFields" in parentType
                ? (parentType as { getFields(): Record<string, { type: GraphQLOutputType }> }).getFields()
                : undefined;
            const field = name === "__schema" ? { type: schema.getType("__Schema") as GraphQLOutputType } : name === "__type" ? { type: schema.getType("__Type") as GraphQLOutputType } : fields?.[name];
            let nextIntrospection = introspection;
            if (introspection || name === "__schema" || name === "__type") {
              const lists = (introspection?.lists ?? 0) + (field && isList(field.type) ? 1 : 0);
              nextIntrospection = { depth: (introspection?.depth ?? 0) + 1, lists };
              if (lists > limits.maxIntrospectionListDepth || nextIntrospection.depth > limits.maxIntrospectionDepth) {
                failure = "The introspection query is nested too deeply";
                return;
              }
            } else if (depth > limits.maxDepth) {
              failure = `The query is nested too deeply (more than ${limits.maxDepth} levels)`;
              return;
            }
            if (selection.selectionSet) {
              walk(selection.selectionSet, field ? getNamedType(field.type) : undefined, depth + 1, nextIntrospection, fragmentPath);
            }
          }
        };
        walk(operation.selectionSet, root, 1, null, new Set());
        if (failure) context.reportError(new GraphQLError(failure, { nodes: [operation], extensions: { field: "query" } }));
      },
    };
  };
}
