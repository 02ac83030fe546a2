import { describe, expect, it } from "vitest";
import { splitStatements } from "./split-statements";

describe("splitStatements", () => {
  it("splits at the semicolons that end statements, and at no others", async () => {
    const script = [
      "-- a comment; with a semicolon",
      "CREATE INDEX CONCURRENTLY a_idx ON a (x);",
      "/* block; comment */ DO $tag$ BEGIN PERFORM 1; END $tag$;",
      "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;",
      "INSERT INTO a VALUES ('it''s; fine', E'back\\\\slash; too')",
    ].join("\n");
    expect((await splitStatements(script)).map((s) => s.sql)).toEqual([
      "CREATE INDEX CONCURRENTLY a_idx ON a (x)",
      "DO $tag$ BEGIN PERFORM 1; END $tag$",
      "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
      "INSERT INTO a VALUES ('it''s; fine', E'back\\\\slash; too')",
    ]);
  });

  it("gives each statement's offset in characters, multi-byte text before it included", async () => {
    const script = "-- Größe ändern ✓\nALTER TABLE a ADD COLUMN größe int;\nCREATE INDEX CONCURRENTLY b ON a (größe);";
    const statements = await splitStatements(script);
    for (const statement of statements) expect(script.slice(statement.offset, statement.offset + statement.sql.length)).toBe(statement.sql);
    expect(statements).toHaveLength(2);
  });

  it("returns a script it cannot parse whole, for the server to report the error", async () => {
    const script = "CREATE INDEX CONCURRENTLY a_idx ON a (x);\nCREATE TABLE (;";
    expect(await splitStatements(script)).toEqual([{ sql: script, offset: 0 }]);
  });

  it("finds no statement in comments and whitespace", async () => {
    expect(await splitStatements("-- nothing here\n  /* nor here */ ;\n")).toEqual([]);
  });
});
