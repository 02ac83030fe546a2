import type { GraphQLResult } from "./stack";

/** A command's receipt as the mutations answer it. */
export interface Receipt {
  commandId: string;
  streamId: string;
  version: number;
  position: string;
  events: string[];
}

/** The data of a result that must have no errors. */
export function ok<T>(result: GraphQLResult<T>): T {
  if (result.body.errors || !result.body.data) throw new Error(`unexpected errors: ${JSON.stringify(result.body)}`);
  return result.body.data;
}

/** The first error of a result that must have one. */
export function firstError(result: GraphQLResult<unknown>) {
  const error = result.body.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(result.body)}`);
  return error;
}
