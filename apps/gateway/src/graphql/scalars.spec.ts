import { describe, expect, it } from "vitest";
import { Kind } from "graphql";
import { DateScalar, DateTimeScalar, isCalendarDate } from "./scalars";
import { addYears, daysBetween, dayNumber, firstOfMonth, wholeYears } from "./dates";

describe("Date scalar", () => {
  it("accepts strict YYYY-MM-DD real dates only", () => {
    for (const ok of ["2026-01-31", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"]) expect(isCalendarDate(ok), ok).toBe(true);
    for (const bad of ["2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01", "26-01-01", "2026-01-01T00:00:00Z", " 2026-01-01", "0000-01-01", ""]) {
      expect(isCalendarDate(bad), bad).toBe(false);
    }
    expect(DateScalar.parseValue("2026-03-04")).toBe("2026-03-04");
    expect(() => DateScalar.parseValue("2026-02-30")).toThrow(/real calendar date/);
    expect(() => DateScalar.parseValue(20260101)).toThrow();
    expect(() => DateScalar.parseLiteral({ kind: Kind.INT, value: "5" })).toThrow();
  });

  it("serializes Prisma's UTC-midnight Dates and date strings", () => {
    expect(DateScalar.serialize(new Date("2026-03-04T00:00:00Z"))).toBe("2026-03-04");
    expect(DateScalar.serialize("2026-03-04")).toBe("2026-03-04");
    expect(() => DateScalar.serialize("nope")).toThrow();
  });
});

describe("DateTime scalar", () => {
  it("ISO 8601 with a zone in, UTC ISO out", () => {
    expect(DateTimeScalar.serialize(new Date("2026-03-04T05:06:07.089Z"))).toBe("2026-03-04T05:06:07.089Z");
    expect((DateTimeScalar.parseValue("2026-03-04T07:06:07+02:00") as Date).toISOString()).toBe("2026-03-04T05:06:07.000Z");
    expect(() => DateTimeScalar.parseValue("2026-03-04")).toThrow();
    expect(() => DateTimeScalar.parseValue("2026-02-30T00:00:00Z")).toThrow();
  });
});

describe("calendar arithmetic", () => {
  it("days, whole years, months", () => {
    expect(dayNumber("1970-01-01")).toBe(0);
    expect(dayNumber("0001-01-01")).toBe(-719162);
    expect(daysBetween("2024-02-28", "2024-03-01")).toBe(2);
    expect(daysBetween("2026-03-01", "2026-02-28")).toBe(-1);
    expect(wholeYears("2016-06-15", "2026-06-14")).toBe(9);
    expect(wholeYears("2016-06-15", "2026-06-15")).toBe(10);
    expect(wholeYears("2020-02-29", "2021-02-28")).toBe(0);
    expect(wholeYears("2020-02-29", "2021-03-01")).toBe(1);
    expect(firstOfMonth("2026-07-19")).toBe("2026-07-01");
    expect(addYears("2016-02-29", 10)).toBe("2026-02-28");
    expect(addYears("2016-01-31", 10)).toBe("2026-01-31");
  });
});
