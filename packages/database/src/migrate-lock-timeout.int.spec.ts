import type pg from "pg";
import { describe, expect, it } from "vitest";
import { migrate, type MigrateLogLevel, type MigrateOptions } from "./migrate";
import { addMigration, freshDatabase, migrationsDir, query, quiet, records, session, tables, until } from "./test-kit/migration-fixtures";

// A long transaction on a busy table meets a migration that must lock that table. Sessions are
// named so that the migrator's messages can be checked for the blocker it names.
async function busyEvents() {
  const db = freshDatabase();
  const dir = migrationsDir({
    "20250101000000_events": "CREATE TABLE events (id int PRIMARY KEY, kind int);\nINSERT INTO events SELECT g, g % 3 FROM generate_series(1, 100) g;",
  });
  await migrate(db.url, { migrationsDir: dir, log: quiet });
  const observer = await session(db.url, "coop-test-observer");
  const holder = await session(db.url, "coop-test-holder");
  const holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
  return { db, dir, observer, holder, holderPid };
}

function logRecorder() {
  const logged: [MigrateLogLevel, string][] = [];
  return { logged, log: (level: MigrateLogLevel, message: string) => void logged.push([level, message]) };
}

async function migrationWaitsFor(observer: pg.Client, mode: string): Promise<boolean> {
  const { rowCount } = await observer.query(
    "SELECT 1 FROM pg_locks WHERE relation = 'events'::regclass AND NOT granted AND mode = $1",
    [mode],
  );
  return (rowCount ?? 0) > 0;
}

async function transactionState(observer: pg.Client, pid: number): Promise<string | undefined> {
  const { rows } = await observer.query<{ state: string }>("SELECT state FROM pg_stat_activity WHERE pid = $1", [pid]);
  return rows[0]?.state;
}

const columns = async (url: string) =>
  (await query<{ c: string }>(url, "SELECT attname AS c FROM pg_attribute WHERE attrelid = 'events'::regclass AND attnum > 0 ORDER BY attnum")).map(
    (r) => r.c,
  );

const eventIndexes = (url: string) =>
  query<{ name: string; valid: boolean }>(
    url,
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = 'events'::regclass AND NOT i.indisprimary ORDER BY 1`,
  );

const ADD_NOTE = { "20250102000000_note": "CREATE TABLE side (id int);\nALTER TABLE events ADD COLUMN note text;\n" };

describe("migrate: lock timeouts", () => {
  it("(the hazard) without one, an ALTER waiting behind a long transaction blocks the table's readers", async () => {
    const { db, dir, observer, holder } = await busyEvents();
    addMigration(dir, "20250102000000_note", ADD_NOTE["20250102000000_note"]);
    await holder.query("BEGIN");
    await holder.query("SELECT count(*) FROM events");

    const migration = migrate(db.url, { migrationsDir: dir, log: quiet, lockTimeoutMs: 0 });
    await until(() => migrationWaitsFor(observer, "AccessExclusiveLock"), "the migration waits for its lock");
    const reader = await session(db.url, "coop-test-reader");
    await reader.query("SET lock_timeout = 1000");
    await expect(reader.query("SELECT count(*) FROM events")).rejects.toMatchObject({ code: "55P03" });

    await holder.query("COMMIT");
    expect((await migration).applied).toEqual(["20250102000000_note"]);
  });

  it("with one, readers get through while it waits, and it is applied once the long transaction ends", async () => {
    const { db, dir, observer, holder, holderPid } = await busyEvents();
    addMigration(dir, "20250102000000_note", ADD_NOTE["20250102000000_note"]);
    await holder.query("BEGIN");
    await holder.query("SELECT count(*) FROM events");
    const { logged, log } = logRecorder();

    const migration = migrate(db.url, { migrationsDir: dir, log, lockTimeoutMs: 300, lockRetries: 50, lockRetryDelayMs: 50 });
    await until(() => logged.some(([level]) => level === "warn"), "the first lock timeout is logged");
    await until(() => migrationWaitsFor(observer, "AccessExclusiveLock"), "the migration waits for its lock again");
    // Queued behind the migration's request, a reader waits at most until that request times out
    // (300 ms), far less than the 10 times as long it allows itself here.
    const reader = await session(db.url, "coop-test-reader");
    await reader.query("SET lock_timeout = 3000");
    expect((await reader.query("SELECT count(*)::int AS n FROM events")).rows).toEqual([{ n: 100 }]);
    expect(await transactionState(observer, holderPid)).toBe("idle in transaction");

    await holder.query("COMMIT");
    expect((await migration).applied).toEqual(["20250102000000_note"]);
    expect(await columns(db.url)).toEqual(["id", "kind", "note"]);
    const rows = await records(db.url);
    expect(rows.map((r) => [r.migration_name, r.finished_at !== null, r.logs, r.applied_steps_count])).toEqual([
      ["20250101000000_events", true, null, 1],
      ["20250102000000_note", true, null, 1],
    ]);
    expect(logged[1]).toEqual([
      "warn",
      expect.stringMatching(
        new RegExp(
          "^migration 20250102000000_note timed out waiting for a lock \\(lock_timeout 300 ms, attempt 1 of 51\\); " +
            `sessions holding table locks since before the wait began: pid ${holderPid} \\(application "coop-test-holder", ` +
            "idle in transaction, transaction open \\d+ s\\) holds AccessShareLock on events; retrying in 50 ms$",
        ),
      ),
    ]);
  });

  it("gives up after its retries with a message naming the blocker, leaving nothing applied or recorded", async () => {
    const { db, dir, holder, holderPid } = await busyEvents();
    addMigration(dir, "20250102000000_note", ADD_NOTE["20250102000000_note"]);
    await holder.query("BEGIN");
    await holder.query("SELECT count(*) FROM events");
    const { logged, log } = logRecorder();
    const options: MigrateOptions = { migrationsDir: dir, log, lockTimeoutMs: 100, lockRetries: 2, lockRetryDelayMs: 10 };

    const error = await migrate(db.url, options).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "MigrationError", code: "P1002" });
    const message = (error as Error).message;
    expect(message).toContain("migration 20250102000000_note timed out waiting for table locks on all 3 attempts (lock_timeout 100 ms each)");
    expect(message).toContain(`pid ${holderPid} (application "coop-test-holder", idle in transaction, transaction open`);
    expect(message).toContain("holds AccessShareLock on events");
    expect(message).toContain("MIGRATE_LOCK_TIMEOUT_MS");
    expect(message).toContain("nothing was applied or recorded");
    expect(logged.filter(([level]) => level === "warn")).toHaveLength(2);
    // The script's first statement did not survive its rollback, and no failure blocks the next run.
    expect(await tables(db.url)).toEqual(["_prisma_migrations", "events"]);
    expect(await columns(db.url)).toEqual(["id", "kind"]);
    expect((await records(db.url)).map((r) => r.migration_name)).toEqual(["20250101000000_events"]);

    await holder.query("COMMIT");
    expect((await migrate(db.url, options)).applied).toEqual(["20250102000000_note"]);
  });

  it("retries CREATE INDEX CONCURRENTLY after dropping the invalid index a timed-out attempt left", async () => {
    const { db, dir, holder } = await busyEvents();
    addMigration(dir, "20250102000000_kind", "CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);");
    // A writer's open transaction: the index build waits for it after creating the (invalid) index.
    await holder.query("BEGIN");
    await holder.query("INSERT INTO events VALUES (1000, 1)");
    const { logged, log } = logRecorder();

    const migration = migrate(db.url, { migrationsDir: dir, log, lockTimeoutMs: 200, lockRetries: 50, lockRetryDelayMs: 50 });
    await until(() => logged.some(([level]) => level === "warn"), "the first lock timeout is logged");
    expect(await eventIndexes(db.url)).toEqual([{ name: "events_kind_idx", valid: false }]);
    expect(logged.find(([level]) => level === "warn")![1]).toMatch(
      /^statement 1 of 1 of migration 20250102000000_kind timed out waiting for a lock .*holds RowExclusiveLock on events/,
    );

    await holder.query("COMMIT");
    expect((await migration).applied).toEqual(["20250102000000_kind"]);
    expect(await eventIndexes(db.url)).toEqual([{ name: "events_kind_idx", valid: true }]);
    const row = (await records(db.url))[1]!;
    expect([row.finished_at !== null, row.logs, row.applied_steps_count]).toEqual([true, null, 1]);
    expect(await query(db.url, "SELECT indexrelid::regclass::text AS name FROM pg_index WHERE NOT indisvalid")).toEqual([]);
  });

  it("records a CREATE INDEX CONCURRENTLY that gave up as Prisma records a failure, naming the invalid index", async () => {
    const { db, dir, holder, holderPid } = await busyEvents();
    addMigration(dir, "20250102000000_kind", "CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);");
    await holder.query("BEGIN");
    await holder.query("INSERT INTO events VALUES (1000, 1)");
    const options: MigrateOptions = { migrationsDir: dir, log: quiet, lockTimeoutMs: 100, lockRetries: 1, lockRetryDelayMs: 10 };

    const error = await migrate(db.url, options).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "MigrationError", code: "P3018" });
    const message = (error as Error).message;
    expect(message).toContain("Database error code: 55P03");
    expect(message).toContain("timed out waiting for table locks on all 2 attempts");
    expect(message).toContain(`pid ${holderPid} (application "coop-test-holder"`);
    expect(message).toContain("left the invalid index public.events_kind_idx behind");
    expect(message).toContain("0 of 1 had been applied");
    const row = (await records(db.url))[1]!;
    expect([row.migration_name, row.finished_at, row.logs]).toEqual(["20250102000000_kind", null, message]);

    await holder.query("COMMIT");
    expect(await migrate(db.url, options).catch((e: unknown) => e)).toMatchObject({ code: "P3009" });
  });
});
