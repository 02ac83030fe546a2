import { describe, expect, it } from "vitest";
import { isInfrastructureError, redactValues } from "./errors";

describe("isInfrastructureError", () => {
  it("knows the database and the network away", () => {
    for (const error of [
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
      Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
      Object.assign(new Error("the database system is starting up"), { code: "57P03" }),
      Object.assign(new Error("connection failure"), { code: "08006" }),
      new Error("Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"),
    ]) {
      expect(isInfrastructureError(error), String(error)).toBe(true);
    }
  });

  it("blames nothing else on the infrastructure: a bug, a missing table, a constraint", () => {
    for (const error of [
      new Error("family-detail: ChildAdded for a family with no row"),
      Object.assign(new Error('relation "family_views" does not exist'), { code: "42P01" }),
      Object.assign(new Error("duplicate key"), { code: "23505" }),
      Object.assign(new Error("deadlock detected"), { code: "40P01" }),
      null,
      "text",
    ]) {
      expect(isInfrastructureError(error), String(error)).toBe(false);
    }
  });
});

describe("redactValues", () => {
  it("hides the values PostgreSQL quotes, and keeps the names it quotes", () => {
    expect(redactValues('invalid input syntax for type date: "Mk1234 child"')).toBe('invalid input syntax for type date: "…"');
    expect(redactValues('new row for relation "family_views" violates check constraint "family_views_check"')).toBe(
      'new row for relation "family_views" violates check constraint "family_views_check"',
    );
    expect(redactValues('column "email" of relation "t" does not exist')).toBe('column "email" of relation "t" does not exist');
    expect(redactValues('invalid input value for enum "FamilyStatus": "Rivera ""the"" second"')).toBe('invalid input value for enum "FamilyStatus": "…"');
    expect(redactValues("no quotes at all")).toBe("no quotes at all");
  });
});
