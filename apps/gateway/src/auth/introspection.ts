import { getOperationAST, parse } from "graphql";
import { isIntrospectionField, rootFields } from "./access";

/**
 * True when a request's operation selects only introspection fields (`__schema`, `__type`,
 * `__typename`): the one thing allowed without a token, so that the playground can load the schema.
 * Anything unparseable is not introspection.
 */
export function isPureIntrospection(query: unknown, operationName: unknown): boolean {
  if (typeof query !== "string" || query.length === 0) return false;
  try {
    const document = parse(query, { maxTokens: 5_000, noLocation: true });
    const operation = getOperationAST(document, typeof operationName === "string" ? operationName : undefined);
    if (!operation || operation.operation !== "query") return false;
    const fields = rootFields(operation, document);
    return fields.length > 0 && fields.every(isIntrospectionField);
  } catch {
    return false;
  }
}
