import { describe, expect, it } from "vitest";
import {
  addDays,
  calendarDate,
  codePointLength,
  daysBetween,
  email,
  formatCalendarDate,
  integerInRange,
  jsonValue,
  optionalTrimmedText,
  parseCalendarDate,
  phone,
  trimmedText,
  uuid,
} from "./validation";

describe("codePointLength", () => {
  it("counts code points, not UTF-16 units", () => {
    expect(codePointLength("")).toBe(0);
    expect(codePointLength("abc")).toBe(3);
    expect(codePointLength("😀")).toBe(1);
    expect(codePointLength("a😀b")).toBe(3);
    expect(codePointLength("\ud800")).toBe(1); // a lone surrogate still counts once
    expect(codePointLength("é")).toBe(1);
  });
});

describe("text", () => {
  it("trims and checks the length", () => {
    expect(trimmedText("f", "  hi ", 1, 2)).toEqual({ ok: true, value: "hi" });
    expect(trimmedText("f", "   ", 1, 2)).toMatchObject({ ok: false, rejection: { type: "InvalidInput", field: "f" } });
    expect(trimmedText("f", "abc", 1, 2).ok).toBe(false);
    expect(trimmedText("f", undefined, 1, 2).ok).toBe(false);
  });

  it("optional text: empty and missing become null", () => {
    expect(optionalTrimmedText("f", "  ", 5)).toEqual({ ok: true, value: null });
    expect(optionalTrimmedText("f", undefined, 5)).toEqual({ ok: true, value: null });
    expect(optionalTrimmedText("f", " ab ", 5)).toEqual({ ok: true, value: "ab" });
    expect(optionalTrimmedText("f", "abcdef", 5).ok).toBe(false);
  });
});

describe("identifiers", () => {
  it("uuid accepts any case and gives the id lower-cased", () => {
    expect(uuid("id", "3F2C1A9E-8B7D-4C6E-9F10-2A3B4C5D6E7F")).toEqual({ ok: true, value: "3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f" });
    expect(uuid("id", "3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7").ok).toBe(false);
  });

  it("email trims and keeps case", () => {
    expect(email("e", " A@B.Co ")).toEqual({ ok: true, value: "A@B.Co" });
  });

  it("phone: empty becomes null", () => {
    expect(phone("p", "  ")).toEqual({ ok: true, value: null });
    expect(phone("p", null)).toEqual({ ok: true, value: null });
    expect(phone("p", " (555) 0100 ")).toEqual({ ok: true, value: "(555) 0100" });
    expect(phone("p", "()").ok).toBe(false);
  });
});

describe("numbers and JSON", () => {
  it("integerInRange", () => {
    expect(integerInRange("n", 5, 0, 5)).toEqual({ ok: true, value: 5 });
    expect(integerInRange("n", 5.5, 0, 10).ok).toBe(false);
    expect(integerInRange("n", 6, 0, 5).ok).toBe(false);
  });

  it("jsonValue", () => {
    expect(jsonValue("j", { a: [1, "b"] }, 100)).toEqual({ ok: true, value: { a: [1, "b"] } });
    expect(jsonValue("j", "x".repeat(8), 10)).toEqual({ ok: true, value: "xxxxxxxx" }); // 10 serialised
    expect(jsonValue("j", "x".repeat(9), 10).ok).toBe(false);
  });
});

describe("calendar dates", () => {
  it("parses real dates only", () => {
    expect(parseCalendarDate("1970-01-01")).toBe(0);
    expect(parseCalendarDate("1970-01-02")).toBe(1);
    expect(parseCalendarDate("1969-12-31")).toBe(-1);
    expect(parseCalendarDate("2024-02-29")).not.toBeNull();
    expect(parseCalendarDate("2000-02-29")).not.toBeNull();
    expect(parseCalendarDate("2023-02-29")).toBeNull();
    expect(parseCalendarDate("1900-02-29")).toBeNull();
    expect(parseCalendarDate("0000-01-01")).toBeNull();
    expect(parseCalendarDate("2024-06-31")).toBeNull();
    expect(parseCalendarDate("+02024-06-01")).toBeNull();
  });

  it("agrees with Date over the years 0001-9999", () => {
    const first = -719_162; // 0001-01-01
    const last = 2_932_896; // 9999-12-31
    for (const day of [first, last, ...Array.from({ length: 3_600 }, (_, i) => first + i * 1_013)]) {
      const iso = new Date(day * 86_400_000).toISOString().slice(0, 10);
      expect(parseCalendarDate(iso)).toBe(day);
      expect(formatCalendarDate(day)).toBe(iso);
    }
  });

  it("handles years before 100 (which Date.UTC maps to 19xx)", () => {
    expect(formatCalendarDate(parseCalendarDate("0050-03-01")!)).toBe("0050-03-01");
    expect(daysBetween("0099-12-31", "0100-01-01")).toBe(1);
  });

  it("does arithmetic in whole UTC days", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2023-02-28", 1)).toBe("2023-03-01");
    expect(addDays("2024-06-15", 365)).toBe("2025-06-15");
    expect(addDays("2024-01-01", -1)).toBe("2023-12-31");
    expect(daysBetween("2024-01-01", "2025-01-01")).toBe(366);
    expect(daysBetween("2024-03-31", "2024-03-30")).toBe(-1);
    expect(() => addDays("2024-02-30", 1)).toThrow();
  });

  it("calendarDate returns the text and the day number", () => {
    expect(calendarDate("d", "1970-01-11")).toEqual({ ok: true, value: { text: "1970-01-11", day: 10 } });
    expect(calendarDate("d", "1970-1-11")).toMatchObject({ ok: false, rejection: { field: "d" } });
  });
});
