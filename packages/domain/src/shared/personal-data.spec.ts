import { describe, expect, it } from "vitest";
import { ERASED, erasedValue, forEachPersonalValue, mapPersonalData, mapPersonalDataLazily } from "./personal-data";

const enrolled = {
  familyId: "f-1",
  familyName: "Rivera",
  enrollmentDate: "2024-06-01",
  guardians: [
    { name: "Ana", email: "ana@example.org", phone: null },
    { name: "Luis", email: "luis@example.org", phone: "555-0100" },
  ],
};
const paths = ["familyName", "guardians[].name", "guardians[].email", "guardians[].phone"];

describe("mapPersonalData", () => {
  it("replaces every value at the paths, through arrays, and leaves the rest as it is", () => {
    const mapped = mapPersonalData(enrolled, paths, (v) => `<${String(v)}>`);
    expect(mapped).toEqual({
      familyId: "f-1",
      familyName: "<Rivera>",
      enrollmentDate: "2024-06-01",
      guardians: [
        { name: "<Ana>", email: "<ana@example.org>", phone: null },
        { name: "<Luis>", email: "<luis@example.org>", phone: "<555-0100>" },
      ],
    });
  });

  it("never mutates its input, and shares what it did not change", () => {
    const copy = structuredClone(enrolled);
    const mapped = mapPersonalData(enrolled, ["familyName"], () => "x") as typeof enrolled;
    expect(enrolled).toEqual(copy);
    expect(mapped.guardians).toBe(enrolled.guardians);
    expect(mapPersonalData(enrolled, ["nowhere", "guardians[].nothing"], () => "x")).toBe(enrolled);
  });

  it("leaves null and missing values alone: they hold nothing personal", () => {
    expect(mapPersonalData({ note: null }, ["note"], () => "x")).toEqual({ note: null });
    expect(mapPersonalData({}, ["note", "a.b", "c[].d"], () => "x")).toEqual({});
  });

  it("replaces whole JSON values (factors), whatever their type", () => {
    expect(mapPersonalData({ factors: { late: [1, 2] }, score: 3 }, ["factors"], () => "x")).toEqual({ factors: "x", score: 3 });
    expect(mapPersonalData({ factors: 0 }, ["factors"], () => "x")).toEqual({ factors: "x" });
  });

  it("ignores shapes that do not fit the path rather than failing", () => {
    expect(mapPersonalData({ guardians: "none" }, ["guardians[].name"], () => "x")).toEqual({ guardians: "none" });
    expect(mapPersonalData(null, ["a"], () => "x")).toBeNull();
    expect(mapPersonalData({ a: { b: 1 } }, ["a.b"], (v) => (v as number) + 1)).toEqual({ a: { b: 2 } });
  });
});

describe("forEachPersonalValue", () => {
  it("visits every non-null value at the paths", () => {
    const seen: unknown[] = [];
    forEachPersonalValue(enrolled, paths, (v) => seen.push(v));
    expect(seen).toEqual(["Rivera", "Ana", "Luis", "ana@example.org", "luis@example.org", "555-0100"]);
  });
});

describe("erasedValue", () => {
  it("is (erased) for text and null for anything else", () => {
    expect(erasedValue("Rivera")).toBe(ERASED);
    expect(ERASED).toBe("(erased)");
    expect(erasedValue({ late: 1 })).toBeNull();
    expect(erasedValue(3)).toBeNull();
  });
});

describe("mapPersonalDataLazily", () => {
  it("computes a value only when it is read, once, and reads like plain data", () => {
    let calls = 0;
    const opener = { takes: (v: unknown) => v !== null, open: (v: unknown) => (calls++, `<${String(v)}>`) };
    const opened = mapPersonalDataLazily(enrolled, paths, opener) as typeof enrolled;
    expect(calls).toBe(0);
    expect(opened.familyName).toBe("<Rivera>");
    expect(opened.familyName).toBe("<Rivera>");
    expect(calls).toBe(1);
    expect(JSON.parse(JSON.stringify(opened))).toEqual(mapPersonalData(enrolled, paths, (v) => `<${String(v)}>`));
    expect({ ...opened.guardians[1] }).toEqual({ name: "<Luis>", email: "<luis@example.org>", phone: "<555-0100>" });
    expect(enrolled.familyName).toBe("Rivera"); // the input is never changed
    expect(mapPersonalDataLazily(enrolled, paths, { takes: () => false, open: () => "never" })).toBe(enrolled);
  });
});
