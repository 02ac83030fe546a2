import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_MIGRATIONS_DIR, migrate, readMigrations, type MigrateLogLevel } from "./migrate";
import { freshDatabase, migrationsDir, query, quiet, records, tables } from "./test-kit/migration-fixtures";

describe("migrate", () => {
  it("creates a missing database, applies every migration once and records them like Prisma", async () => {
    const db = freshDatabase();
    const expected = readMigrations(DEFAULT_MIGRATIONS_DIR);
    expect(expected.length).toBeGreaterThan(0);

    const first = await migrate(db.url, { log: quiet });
    expect(first.applied).toEqual(expected.map((m) => m.name));
    expect(await migrate(db.url, { log: quiet })).toEqual({ applied: [] });

    const rows = await records(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(expected.map((m) => m.name));
    for (const row of rows) {
      const bytes = readFileSync(join(DEFAULT_MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    expect(await tables(db.url)).toContain("events");
  });

  it("creates _prisma_migrations with Prisma's exact column types", async () => {
    const db = freshDatabase();
    await migrate(db.url, { migrationsDir: migrationsDir({}), log: quiet });
    const columns = await query(
      db.url,
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
              pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = '_prisma_migrations'::regclass AND a.attnum > 0 ORDER BY a.attnum`,
    );
    expect(columns).toEqual([
      { name: "id", type: "character varying(36)", not_null: true, default: null },
      { name: "checksum", type: "character varying(64)", not_null: true, default: null },
      { name: "finished_at", type: "timestamp with time zone", not_null: false, default: null },
      { name: "migration_name", type: "character varying(255)", not_null: true, default: null },
      { name: "logs", type: "text", not_null: false, default: null },
      { name: "rolled_back_at", type: "timestamp with time zone", not_null: false, default: null },
      { name: "started_at", type: "timestamp with time zone", not_null: true, default: "now()" },
      { name: "applied_steps_count", type: "integer", not_null: true, default: "0" },
    ]);
    const keys = await query(db.url, "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = '_prisma_migrations'::regclass");
    expect(keys).toEqual([{ conname: "_prisma_migrations_pkey", def: "PRIMARY KEY (id)" }]);
  });

  it("serialises two concurrent migrators on a database that does not exist yet", async () => {
    const db = freshDatabase();
    const results = await Promise.all([migrate(db.url, { log: quiet }), migrate(db.url, { log: quiet })]);
    const names = readMigrations(DEFAULT_MIGRATIONS_DIR).map((m) => m.name);
    expect([...results[0]!.applied, ...results[1]!.applied].sort()).toEqual(names);
    const rows = await records(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it("applies migrations in name order, not creation order", async () => {
    const db = freshDatabase();
    const dir = migrationsDir({
      "20250102000000_second": "ALTER TABLE a ADD COLUMN b int;",
      "20250101000000_first": "CREATE TABLE a (id int PRIMARY KEY);",
    });
    expect((await migrate(db.url, { migrationsDir: dir, log: quiet })).applied).toEqual([
      "20250101000000_first",
      "20250102000000_second",
    ]);
  });

  it("rolls back a failing migration, records the failure and refuses to go on until resolved", async () => {
    const db = freshDatabase();
    const dir = migrationsDir({
      "20250101000000_ok": "CREATE TABLE good (id int PRIMARY KEY);",
      "20250102000000_broken": "CREATE TABLE half (id int PRIMARY KEY);\nCREATE INDEX half_idx ON half (id);\nCREATE TABLE oops (id nonexistent_type);\n",
      "20250103000000_later": "CREATE TABLE later (id int);",
    });

    const error = await migrate(db.url, { migrationsDir: dir, log: quiet }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "MigrationError", code: "P3018" });
    expect((error as Error).message).toContain("20250102000000_broken");
    expect((error as Error).message).toContain('type "nonexistent_type" does not exist');
    expect((error as Error).message).toContain("  3 CREATE TABLE oops");
    expect(await tables(db.url)).toEqual(["_prisma_migrations", "good"]);

    const rows = await records(db.url);
    expect(rows.map((r) => [r.migration_name, r.finished_at === null, r.applied_steps_count])).toEqual([
      ["20250101000000_ok", false, 1],
      ["20250102000000_broken", true, 0],
    ]);
    expect(rows[1]!.logs).toContain("42704");

    const again = await migrate(db.url, { migrationsDir: dir, log: quiet }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: "P3009" });
    expect((again as Error).message).toContain("The `20250102000000_broken` migration started at");
    expect(await tables(db.url)).toEqual(["_prisma_migrations", "good"]);

    // Resolved the way `prisma migrate resolve --rolled-back` does it, with the script fixed.
    await query(db.url, "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE finished_at IS NULL");
    writeFileSync(join(dir, "20250102000000_broken", "migration.sql"), "CREATE TABLE half (id int PRIMARY KEY);");
    expect((await migrate(db.url, { migrationsDir: dir, log: quiet })).applied).toEqual([
      "20250102000000_broken",
      "20250103000000_later",
    ]);
  });

  it("warns about edited and vanished migrations but does not re-apply them", async () => {
    const db = freshDatabase();
    const dir = migrationsDir({
      "20250101000000_one": "CREATE TABLE one (id int);",
      "20250102000000_two": "CREATE TABLE two (id int);",
    });
    await migrate(db.url, { migrationsDir: dir, log: quiet });
    writeFileSync(join(dir, "20250101000000_one", "migration.sql"), "CREATE TABLE one (id bigint);");
    rmSync(join(dir, "20250102000000_two"), { recursive: true });

    const logged: [MigrateLogLevel, string][] = [];
    const result = await migrate(db.url, { migrationsDir: dir, log: (level, message) => logged.push([level, message]) });
    expect(result.applied).toEqual([]);
    const warnings = logged.filter(([level]) => level === "warn").map(([, message]) => message);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/20250101000000_one was modified after it was applied/);
    expect(warnings[1]).toMatch(/20250102000000_two is recorded as applied but is missing/);
  });

  it("refuses a non-empty database that has no migration history, like Prisma's P3005", async () => {
    const db = freshDatabase();
    await migrate(db.url, { migrationsDir: migrationsDir({ "1_x": "CREATE TABLE stray (id int);" }), log: quiet });
    await query(db.url, "DROP TABLE _prisma_migrations");
    const error = await migrate(db.url, { log: quiet }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "P3005" });
    expect((error as Error).message).toContain("stray");
  });
});
