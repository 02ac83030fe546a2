// The one place where domain rejections and every other failure become the contract's error codes
// (CONTRACT section 3). Everything a client sees passes through `formatError` below.
import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode, type GraphQLFormattedError } from "graphql";
import { HeaderMap } from "@apollo/server";
import { CommandInfrastructureError, type BusRejection } from "@coop/command-bus";

export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  CONCURRENCY_CONFLICT: "CONCURRENCY_CONFLICT",
  CONSISTENCY_TIMEOUT: "CONSISTENCY_TIMEOUT",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const CONTRACT_CODES = new Set<string>(Object.values(ErrorCode));

/** Apollo's and graphql-js's codes for a malformed request or document: all bad input to a client. */
const BAD_INPUT_CODES = new Set([
  "BAD_REQUEST",
  "BAD_USER_INPUT",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/** No or bad token. HTTP 401 with a Bearer challenge. */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.UNAUTHENTICATED,
      http: { status: 401, headers: new HeaderMap([["www-authenticate", 'Bearer realm="coop"']]) },
    },
  });
}

/** The token is fine but its roles do not allow the field. HTTP 403. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403, headers: new HeaderMap() } } });
}

/** Shape or range of an input; `field` names the input field. */
export function badUserInput(field: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, field } });
}

/** The read models did not include a position in time (CONTRACT section 6); the field is null. */
export function consistencyTimeout(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.CONSISTENCY_TIMEOUT } });
}

/** A command refused or not carried out, as the contract's error. */
export function rejectionToError(rejection: BusRejection): GraphQLError {
  switch (rejection.type) {
    case "InvalidInput":
      return badUserInput(rejection.field, rejection.message);
    case "NotFound":
      return new GraphQLError(rejection.message, { extensions: { code: ErrorCode.NOT_FOUND } });
    case "Refused":
      return new GraphQLError(rejection.message, { extensions: { code: ErrorCode.CONFLICT, reason: rejection.reason } });
    case "CommandIdReused":
      return new GraphQLError(rejection.message, { extensions: { code: ErrorCode.CONFLICT, reason: "COMMAND_ID_REUSED" } });
    case "ConcurrencyConflict":
      return new GraphQLError(rejection.message, { extensions: { code: ErrorCode.CONCURRENCY_CONFLICT } });
    case "IdInUse":
      // The id names a record of another kind (a coordinator's id given as a family's).
      return new GraphQLError(rejection.message, { extensions: { code: ErrorCode.CONFLICT, reason: "ID_IN_USE" } });
    default: {
      const never: never = rejection;
      throw new Error(`unknown rejection ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The input field named by a graphql-js coercion or validation message, e.g.
 * `Variable "$input" got invalid value 5 at "input.familyName"; ...` -> familyName,
 * `Field "EnrollFamilyInput.email" of required type "String!" was not provided.` -> email,
 * `Variable "$id" of required type "ID!" was not provided.` -> id.
 */
export function fieldFromMessage(message: string): string | null {
  const field = /Field "(?:[A-Za-z_][A-Za-z0-9_]*\.)?([A-Za-z_][A-Za-z0-9_]*)" (?:of required type|is not defined by type)/.exec(message);
  if (field) return field[1]!;
  const argument = /Unknown argument "([A-Za-z_][A-Za-z0-9_]*)"/.exec(message);
  if (argument) return argument[1]!;
  const argMissing = /argument "([A-Za-z_][A-Za-z0-9_]*)" of type "[^"]*" is required/.exec(message);
  if (argMissing) return argMissing[1]!;
  const path = / at "([^"]+)"/.exec(message);
  if (path) {
    const names = path[1]!.split(/[.[\]]/).filter((part) => part !== "" && !/^\d+$/.test(part));
    const last = names[names.length - 1];
    if (last) return last;
  }
  const variable = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)"/.exec(message);
  if (variable) return variable[1]!;
  return null;
}

/**
 * For document errors (a literal argument of the wrong type, an unknown input field): names the
 * argument or input field the offending node sits in, as `extensions.field`.
 */
export function annotateInputFields(errors: readonly GraphQLError[], document: DocumentNode | undefined): void {
  const pending = new Map<ASTNode, GraphQLError[]>();
  for (const error of errors) {
    if (typeof error.extensions.field === "string") continue;
    const fromMessage = fieldFromMessage(error.message);
    if (fromMessage) {
      (error.extensions as Record<string, unknown>).field = fromMessage;
      continue;
    }
    const node = error.nodes?.[0];
    if (node && document) pending.set(node, [...(pending.get(node) ?? []), error]);
  }
  if (pending.size === 0 || !document) return;
  visit(document, {
    enter(node, _key, parent, _path, ancestors) {
      const waiting = pending.get(node);
      if (!waiting) return;
      let name: string | undefined;
      // `ancestors` stops short of the parent, which comes on its own.
      for (const candidate of [node, parent, ...[...ancestors].reverse()]) {
        if (!candidate) continue;
        if (Array.isArray(candidate)) continue;
        const n = candidate as ASTNode;
        if (n.kind === Kind.OBJECT_FIELD || n.kind === Kind.ARGUMENT) {
          name = n.name.value;
          break;
        }
      }
      if (name) for (const error of waiting) (error.extensions as Record<string, unknown>).field = name;
    },
  });
}

/** The first non-GraphQL error behind a GraphQLError: what was really thrown. */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 10 && current instanceof GraphQLError && current.originalError; i++) current = current.originalError;
  return current;
}

export interface FormatErrorOptions {
  production: boolean;
  /** Called for every unexpected error (the client gets INTERNAL_SERVER_ERROR). */
  onInternalError(error: unknown, cause: unknown): void;
  /** Called once per error sent, with its final code. */
  onError?(code: ErrorCode): void;
}

/**
 * Apollo's `formatError`: every error leaves with a contract code; bad input of any kind is
 * BAD_USER_INPUT with a `field`; unexpected errors are INTERNAL_SERVER_ERROR, without internals in
 * production; stack traces never leave in production.
 */
export function createFormatError(options: FormatErrorOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const extensions: Record<string, unknown> = { ...formatted.extensions };
    const given = typeof extensions.code === "string" ? extensions.code : undefined;
    const cause = rootCause(error);
    let code: ErrorCode;
    let message = formatted.message;

    if (given && BAD_INPUT_CODES.has(given)) {
      code = ErrorCode.BAD_USER_INPUT;
      if (typeof extensions.field !== "string") extensions.field = fieldFromMessage(message) ?? (given === "BAD_REQUEST" ? "body" : "query");
    } else if (given && CONTRACT_CODES.has(given) && given !== ErrorCode.INTERNAL_SERVER_ERROR && !(cause instanceof CommandInfrastructureError)) {
      code = given as ErrorCode;
    } else {
      code = ErrorCode.INTERNAL_SERVER_ERROR;
      options.onInternalError(error, cause);
      if (options.production) {
        // A connection lost during COMMIT leaves the outcome unknown; a retry with the same
        // commandId is safe either way (it returns the receipt if the command was stored).
        message =
          cause instanceof CommandInfrastructureError
            ? "The command could not be completed and may not have been stored. Retrying it with the same commandId is safe: it returns the first receipt if it was stored."
            : "Internal server error";
        delete extensions.exception;
        for (const key of Object.keys(extensions)) if (key !== "code") delete extensions[key];
      }
    }
    extensions.code = code;
    if (options.production) delete extensions.stacktrace;
    options.onError?.(code);
    const result: GraphQLFormattedError = { ...formatted, message, extensions };
    return result;
  };
}

/** A JSON error body for failures before GraphQL runs (body too large, unparseable JSON). */
export function httpErrorBody(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] });
}
