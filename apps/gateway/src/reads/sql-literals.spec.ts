import { describe, expect, it } from "vitest";
import { inlineParameters, literal } from "./sql-literals";

describe("literal", () => {
  it("writes each value as pg would send it as a parameter, quoted and untyped", () => {
    expect(literal(null)).toBe("NULL");
    expect(literal("tenant-a")).toBe("'tenant-a'");
    expect(literal(50)).toBe("'50'");
    expect(literal(-1.5)).toBe("'-1.5'");
    expect(literal(9007199254740993n)).toBe("'9007199254740993'");
    expect(literal(true)).toBe("'true'");
    expect(literal(["a", "b"])).toBe(`'{"a","b"}'`);
    expect(literal([])).toBe("'{}'");
  });

  it("escapes quotes and backslashes, in strings and in array elements", () => {
    expect(literal("O'Brien")).toBe("'O''Brien'");
    expect(literal("a\\b")).toBe(" E'a\\\\b'");
    expect(literal(['x"y', "z\\"])).toBe(` E'{"x\\\\"y","z\\\\\\\\"}'`);
    // A term that tries to close the literal stays inside it.
    expect(literal("'; DROP TABLE family_views; --")).toBe("'''; DROP TABLE family_views; --'");
  });

  it("refuses what PostgreSQL's text cannot hold and what has no literal", () => {
    expect(() => literal("a\0b")).toThrow(/NUL/);
    expect(() => literal(["a\0"])).toThrow(/NUL/);
    expect(() => literal(Number.NaN)).toThrow(/NaN/);
    expect(() => literal(Number.POSITIVE_INFINITY)).toThrow(/Infinity/);
    expect(() => literal({} as never)).toThrow(/object/);
  });
});

describe("inlineParameters", () => {
  it("replaces every placeholder, $10 included, and leaves strings, identifiers and comments alone", () => {
    const values = ["t", 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(inlineParameters("SELECT $1, $10, $2::int, $3, $4, $5, $6, $7, $8, $9", values)).toBe(
      "SELECT 't', '10', '2'::int, '3', '4', '5', '6', '7', '8', '9'",
    );
    expect(inlineParameters(`SELECT '$1', "$1", $1 -- $1\n/* $1 */ FROM t WHERE a = 'it''s $1'`, ["x"])).toBe(
      `SELECT '$1', "$1", 'x' -- $1\n/* $1 */ FROM t WHERE a = 'it''s $1'`,
    );
  });

  it("refuses a placeholder without a value, a value without a placeholder, and quoting it cannot follow", () => {
    expect(() => inlineParameters("SELECT $2", ["a"])).toThrow(/\$2 has no value/);
    expect(() => inlineParameters("SELECT $1", ["a", "b"])).toThrow(/\$2 given but not used/);
    expect(() => inlineParameters("SELECT $$x$$", [])).toThrow(/dollar-quoted/);
    expect(() => inlineParameters("SELECT E'\\'$1'", ["a"])).toThrow(/E'' strings/);
    expect(() => inlineParameters("SELECT 'open", [])).toThrow(/unterminated string/);
  });

  it("does not mistake an identifier ending in e for an escape string", () => {
    expect(inlineParameters("SELECT name FROM t WHERE name='$1' AND x = $1", ["v"])).toBe("SELECT name FROM t WHERE name='$1' AND x = 'v'");
  });
});
