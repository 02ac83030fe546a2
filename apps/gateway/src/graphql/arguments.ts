// Checks of query arguments shared by the features: the viewer, list sizes and keyset pages.
import { Kind, type GraphQLResolveInfo } from "graphql";
import type { Viewer } from "../auth/viewer";
import type { GatewayContext } from "../context";
import { badUserInput, unauthenticated } from "../errors/errors";
import { isUuid } from "./values";

/** The most items one list field returns. */
export const LIMIT_MAX = 500;

export function viewerOf(ctx: GatewayContext): Viewer {
  // The access plugin lets no operation through without a viewer; this is a second lock.
  if (!ctx.viewer) throw unauthenticated("Authentication required");
  return ctx.viewer;
}

/** `limit` (or its default) within 1..LIMIT_MAX, else BAD_USER_INPUT on `limit`. */
export function checkLimit(limit: number | null | undefined, fallback: number): number {
  const value = limit ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > LIMIT_MAX) throw badUserInput("limit", `limit must be between 1 and ${LIMIT_MAX}`);
  return value;
}

/**
 * Whether the request itself gave the field's argument (a literal, or a variable it sent), as
 * opposed to the schema's default filling it in.
 */
export function argumentGiven(info: GraphQLResolveInfo, name: string): boolean {
  const node = info.fieldNodes[0]?.arguments?.find((a) => a.name.value === name);
  if (!node || node.value.kind === Kind.NULL) return false;
  if (node.value.kind === Kind.VARIABLE) {
    const variables = info.variableValues;
    return Object.hasOwn(variables, node.value.name.value) && variables[node.value.name.value] !== null;
  }
  return true;
}

export interface PageArgs {
  limit?: number | null;
  first?: number | null;
  after?: string | null;
}

export interface Page {
  size: number;
  /** The id of the last item of the previous page, lower-cased; null for the first page. */
  after: string | null;
}

/**
 * A keyset page from `first`/`after`, or the first `limit` items. `first` is the page size; when
 * the request gives both `first` and `limit` they must agree. `after` must be an id (whether it
 * is in the list is the query's to say).
 */
export function pageOf(args: PageArgs, info: GraphQLResolveInfo, defaultLimit: number): Page {
  const limit = checkLimit(args.limit, defaultLimit);
  let size = limit;
  if (args.first !== undefined && args.first !== null) {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > LIMIT_MAX) throw badUserInput("first", `first must be between 1 and ${LIMIT_MAX}`);
    if (argumentGiven(info, "limit") && args.first !== limit) throw badUserInput("first", "first and limit differ: give one of them (first is the page size)");
    size = args.first;
  }
  const after = args.after ?? null;
  if (after !== null && !isUuid(after)) throw badUserInput("after", "after must be the id of the last item of the previous page");
  return { size, after: after?.toLowerCase() ?? null };
}

/** The error for an `after` that the list does not hold (unknown, another tenant's, filtered out). */
export function afterNotInList(): Error {
  return badUserInput("after", "after is not an item of this list: pass the id of the last item of the previous page, with the same arguments");
}
