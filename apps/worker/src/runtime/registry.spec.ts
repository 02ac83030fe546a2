import { describe, expect, it } from "vitest";
import { projections } from "../projections/projections";
import type { ProjectionDefinition } from "../projections/types";
import { checkRegistry } from "./registry";

const base: ProjectionDefinition = { name: "sample", handles: ["ChildAdded"], tables: ["sample_rows"], apply: async () => {} };

describe("checkRegistry", () => {
  it("accepts the worker's projections", () => {
    expect(() => checkRegistry(projections)).not.toThrow();
  });

  it.each([
    ["duplicate names", [base, { ...base, tables: ["other"] }], /registered twice/],
    ["an unknown event type", [{ ...base, handles: ["FamilyRenamed" as never] }], /"FamilyRenamed", which is not a domain event type/],
    ["no handled types", [{ ...base, handles: [] }], /handles no event types/],
    ["no tables", [{ ...base, tables: [] }], /declares no tables/],
    ["a table written by two projections", [base, { ...base, name: "other" }], /written by both "sample" and "other"/],
    ["a bad name", [{ ...base, name: "Bad Name" }], /lower-case words/],
    ["an empty list", [], /no projections are registered/],
  ])("refuses %s", (_what, list, message) => {
    expect(() => checkRegistry(list as ProjectionDefinition[])).toThrow(message);
  });
});
