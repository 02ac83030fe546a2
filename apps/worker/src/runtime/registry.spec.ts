import { describe, expect, it } from "vitest";
import { projections } from "../projections/projections";
import type { ProjectionDefinition } from "../projections/types";
import { checkRegistry, declaredTables } from "./registry";

const base: ProjectionDefinition = { name: "sample", version: 1, handles: ["ChildAdded"], tables: [{ name: "sample_rows", readers: ["admin"] }], apply: async () => {} };

describe("checkRegistry", () => {
  it("accepts the worker's projections", () => {
    expect(() => checkRegistry(projections)).not.toThrow();
  });

  it.each([
    ["duplicate names", [base, { ...base, tables: [{ name: "other", readers: ["admin"] }] }], /registered twice/],
    ["an unknown event type", [{ ...base, handles: ["FamilyRenamed"] }], /"FamilyRenamed", which is not a domain event type/],
    ["an unknown stream type", [{ ...base, followsStreams: ["Billing"] }], /follows "Billing", which is not a domain stream type/],
    ["no handled types", [{ ...base, handles: [] }], /handles no event types/],
    ["no tables", [{ ...base, tables: [] }], /declares no tables/],
    ["a table nobody may read", [{ ...base, tables: [{ name: "t", readers: [] }] }], /names no role that may read it/],
    ["an unknown role", [{ ...base, tables: [{ name: "t", readers: ["auditor"] }] }], /unknown role "auditor"/],
    ["a table written by two projections", [base, { ...base, name: "other" }], /written by both "sample" and "other"/],
    ["a search view named as its table", [{ ...base, tables: [{ name: "t", readers: ["admin"], searchView: "t" }] }], /search view "t" of "t" has the name of another table or view/],
    ["a search view named as the event store's table", [{ ...base, tables: [{ name: "t", readers: ["admin"], searchView: "events" }] }], /search view "events" of "t" has the name/],
    ["a bad name", [{ ...base, name: "Bad Name" }], /lower-case words/],
    ["a bad version", [{ ...base, version: 0 }], /version must be a whole number/],
    ["an empty list", [], /no projections are registered/],
  ])("refuses %s", (_what, list, message) => {
    expect(() => checkRegistry(list as ProjectionDefinition[])).toThrow(message);
  });

  it("checks the event store's declared tables too", () => {
    const check = (tables: { name: string; readers: string[] }[], list = [base]) => () =>
      checkRegistry(list, undefined, undefined, tables as ProjectionDefinition["tables"]);
    expect(check([{ name: "events", readers: ["coordinator", "admin"] }])).not.toThrow();
    expect(check([{ name: "events", readers: [] }])).toThrow(/the event store: table "events" names no role that may read it/);
    expect(check([{ name: "events", readers: ["auditor"] }])).toThrow(/the event store: table "events" names an unknown role "auditor"/);
    expect(check([{ name: "sample_rows", readers: ["admin"] }])).toThrow(/"sample_rows" is written by both the event store and "sample"/);
  });
});

describe("declaredTables", () => {
  it("lists the event store's tables (events: coordinator and admin, for familyHistory) and every projection's, once each", () => {
    const tables = declaredTables(projections);
    expect(tables[0]).toEqual({ name: "events", readers: ["coordinator", "admin"] });
    expect(tables.map((t) => t.name)).toEqual(["events", ...projections.flatMap((p) => p.tables.map((t) => t.name))]);
    expect(new Set(tables.map((t) => t.name)).size).toBe(tables.length);
    expect(tables.find((t) => t.name === "payment_months")?.readers).toEqual(["finance", "admin"]);
  });
});
