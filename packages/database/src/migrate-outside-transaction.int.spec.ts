import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migrate, type MigrateLogLevel } from "./migrate";
import { freshDatabase, migrationsDir, query, quiet, records } from "./test-kit/migration-fixtures";

const TABLE = "CREATE TABLE t (id int PRIMARY KEY, x int);\nINSERT INTO t SELECT g, g % 7 FROM generate_series(1, 1000) g;\n";

const indexes = (url: string) =>
  query<{ name: string; valid: boolean }>(
    url,
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = 't'::regclass AND NOT i.indisprimary ORDER BY 1`,
  );

describe("migrate: scripts that cannot run in a transaction", () => {
  it("applies CREATE INDEX CONCURRENTLY, records it as Prisma does, and a second run is a no-op", async () => {
    const db = freshDatabase();
    const dir = migrationsDir({
      "20250101000000_table": TABLE,
      "20250102000000_index": "-- Built without blocking writes.\nCREATE INDEX CONCURRENTLY t_x_idx ON t (x);\n",
    });
    const logged: [MigrateLogLevel, string][] = [];

    const first = await migrate(db.url, { migrationsDir: dir, log: (level, message) => logged.push([level, message]) });
    expect(first.applied).toEqual(["20250101000000_table", "20250102000000_index"]);
    expect(await indexes(db.url)).toEqual([{ name: "t_x_idx", valid: true }]);
    expect(logged.some(([, m]) => /20250102000000_index cannot run in a transaction .*CREATE INDEX CONCURRENTLY/.test(m))).toBe(true);

    const rows = await records(db.url);
    expect(rows).toHaveLength(2);
    const row = rows[1]!;
    const bytes = readFileSync(join(dir, "20250102000000_index", "migration.sql"));
    expect(row).toMatchObject({
      migration_name: "20250102000000_index",
      checksum: createHash("sha256").update(bytes).digest("hex"),
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 1,
    });
    expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());

    expect(await migrate(db.url, { migrationsDir: dir, log: quiet })).toEqual({ applied: [] });
    expect(await records(db.url)).toEqual(rows);
  });

  it("runs each statement of a mixed script on its own, after a committed started row, as Prisma does", async () => {
    const db = freshDatabase();
    const dir = migrationsDir({
      "20250101000000_table": TABLE,
      "20250102000000_mixed": [
        "CREATE INDEX CONCURRENTLY t_x_idx ON t (x);",
        "CREATE INDEX CONCURRENTLY t_id_x_idx ON t (id, x);",
        "ALTER TABLE t ADD COLUMN label text;",
        // Semicolons inside a dollar-quoted body and a comment do not end the statement.
        "CREATE FUNCTION t_label(v int) RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN 'n;' || v; END; $body$; /* ; */",
        // What another session could see while the statements ran: the started, unfinished row.
        "CREATE TABLE seen AS SELECT migration_name, finished_at, applied_steps_count FROM _prisma_migrations WHERE migration_name = '20250102000000_mixed';",
      ].join("\n"),
    });

    expect((await migrate(db.url, { migrationsDir: dir, log: quiet })).applied).toEqual(["20250101000000_table", "20250102000000_mixed"]);
    expect(await indexes(db.url)).toEqual([
      { name: "t_id_x_idx", valid: true },
      { name: "t_x_idx", valid: true },
    ]);
    expect(await query(db.url, "SELECT t_label(4) AS label")).toEqual([{ label: "n;4" }]);
    expect(await query(db.url, "SELECT * FROM seen")).toEqual([
      { migration_name: "20250102000000_mixed", finished_at: null, applied_steps_count: 0 },
    ]);
    const row = (await records(db.url))[1]!;
    expect([row.finished_at !== null, row.applied_steps_count, row.logs]).toEqual([true, 1, null]);
  });

  it("commits an enum value before a later statement uses it, as Prisma does", async () => {
    const db = freshDatabase();
    const dir = migrationsDir({
      "20250101000000_enum": "CREATE TYPE tier AS ENUM ('low');\nCREATE TABLE f (id int, tier tier);",
      "20250102000000_high": "ALTER TYPE tier ADD VALUE 'high';\nINSERT INTO f VALUES (1, 'high');",
    });
    expect((await migrate(db.url, { migrationsDir: dir, log: quiet })).applied).toHaveLength(2);
    expect(await query(db.url, "SELECT id, tier::text FROM f")).toEqual([{ id: 1, tier: "high" }]);
  });

  it("records a failed statement the way Prisma does: started row with logs, earlier statements kept", async () => {
    const db = freshDatabase();
    const dir = migrationsDir({
      "20250101000000_table": TABLE,
      "20250102000000_index": "CREATE INDEX CONCURRENTLY t_x_idx ON t (x);\nCREATE INDEX CONCURRENTLY t_y_idx ON t (no_such_function(x));\n",
      "20250103000000_later": "CREATE TABLE later (id int);",
    });

    const error = await migrate(db.url, { migrationsDir: dir, log: quiet }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "MigrationError", code: "P3018" });
    const message = (error as Error).message;
    expect(message).toContain("Migration name: 20250102000000_index");
    expect(message).toContain("function no_such_function(integer) does not exist");
    expect(message).toContain("  2 CREATE INDEX CONCURRENTLY t_y_idx");
    expect(message).toContain("1 of 2 had been applied");
    // Committed on its own before the failure, as with Prisma.
    expect(await indexes(db.url)).toEqual([{ name: "t_x_idx", valid: true }]);

    const rows = await records(db.url);
    expect(rows.map((r) => [r.migration_name, r.finished_at === null, r.applied_steps_count])).toEqual([
      ["20250101000000_table", false, 1],
      ["20250102000000_index", true, 0],
    ]);
    expect(rows[1]!.logs).toBe(message);
    expect(await migrate(db.url, { migrationsDir: dir, log: quiet }).catch((e: unknown) => e)).toMatchObject({ code: "P3009" });
  });
});
