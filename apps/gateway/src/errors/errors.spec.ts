import { describe, expect, it } from "vitest";
import { GraphQLError } from "graphql";
import { CommandInfrastructureError } from "@coop/command-bus";
import { createFormatError, fieldFromMessage, rejectionToError } from "./errors";

describe("fieldFromMessage", () => {
  it("finds the input field in graphql-js messages", () => {
    expect(fieldFromMessage('Variable "$input" got invalid value 5 at "input.familyName"; String cannot represent a non string value: 5')).toBe("familyName");
    expect(fieldFromMessage('Variable "$input" got invalid value {}; Field "email" of required type "String!" was not provided.')).toBe("email");
    expect(fieldFromMessage('Field "EnrollFamilyInput.email" of required type "String!" was not provided.')).toBe("email");
    expect(fieldFromMessage('Variable "$input" got invalid value { x: 1 }; Field "x" is not defined by type "AddChildInput".')).toBe("x");
    expect(fieldFromMessage('Variable "$id" of required type "ID!" was not provided.')).toBe("id");
    expect(fieldFromMessage('Variable "$input" got invalid value [] at "input.factors[0].deep"; bad')).toBe("deep");
    expect(fieldFromMessage('Unknown argument "bogus" on field "Query.family".')).toBe("bogus");
    expect(fieldFromMessage('Field "family" argument "id" of type "ID!" is required, but it was not provided.')).toBe("id");
    expect(fieldFromMessage("Syntax Error: Unexpected <EOF>.")).toBeNull();
  });
});

describe("rejectionToError", () => {
  it("maps every rejection to its contract code", () => {
    expect(rejectionToError({ type: "InvalidInput", field: "score", message: "m" }).extensions).toEqual({ code: "BAD_USER_INPUT", field: "score" });
    expect(rejectionToError({ type: "NotFound", message: "m" }).extensions).toEqual({ code: "NOT_FOUND" });
    expect(rejectionToError({ type: "Refused", reason: "FAMILY_WITHDRAWN", message: "m" }).extensions).toEqual({ code: "CONFLICT", reason: "FAMILY_WITHDRAWN" });
    expect(rejectionToError({ type: "CommandIdReused", message: "m" }).extensions).toEqual({ code: "CONFLICT", reason: "COMMAND_ID_REUSED" });
    expect(rejectionToError({ type: "ConcurrencyConflict", message: "m" }).extensions).toEqual({ code: "CONCURRENCY_CONFLICT" });
    expect(rejectionToError({ type: "IdInUse", message: "m" }).extensions).toEqual({ code: "CONFLICT", reason: "ID_IN_USE" });
  });
});

describe("formatError", () => {
  const seen: unknown[] = [];
  const production = createFormatError({ production: true, onInternalError: (e) => seen.push(e) });
  const development = createFormatError({ production: false, onInternalError: () => {} });

  it("hides internals in production, keeps codes, never a stack trace", () => {
    const cause = new CommandInfrastructureError("command X could not be stored: connect ECONNREFUSED 10.0.0.1:5432");
    const wrapped = new GraphQLError(cause.message, { originalError: cause });
    const formatted = production({ message: cause.message, extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["at x"] } }, wrapped);
    expect(formatted.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(formatted.message).not.toMatch(/ECONNREFUSED/);
    expect(formatted.message).toMatch(/Retrying it with the same commandId is safe/);
    expect(seen).toHaveLength(1);
    expect(development({ message: cause.message, extensions: { code: "INTERNAL_SERVER_ERROR" } }, wrapped).message).toMatch(/ECONNREFUSED/);
  });

  it("turns Apollo's request codes into BAD_USER_INPUT with a field, and unknown codes into INTERNAL_SERVER_ERROR", () => {
    expect(production({ message: "Syntax Error", extensions: { code: "GRAPHQL_PARSE_FAILED" } }, new GraphQLError("x")).extensions).toEqual({ code: "BAD_USER_INPUT", field: "query" });
    expect(production({ message: "Operation batching disabled.", extensions: { code: "BAD_REQUEST" } }, new GraphQLError("x")).extensions).toEqual({ code: "BAD_USER_INPUT", field: "body" });
    expect(production({ message: "x", extensions: { code: "WHATEVER" } }, new GraphQLError("x")).extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(production({ message: "x", extensions: { code: "FORBIDDEN", stacktrace: ["a"] } }, new GraphQLError("x")).extensions).toEqual({ code: "FORBIDDEN" });
  });
});
