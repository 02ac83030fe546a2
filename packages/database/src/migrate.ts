import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { applyMigration, type MigrationSession } from "./apply-migration";
import { MAX_LOCK_TIMEOUT_MS, migrateLockTimeoutMs } from "./config";
import { ensureDatabase } from "./create-database";
import type { LockRetryPolicy } from "./lock-retry";
import { MigrationError } from "./migration-error";

export { MigrationError };

/**
 * Applies prisma/migrations the way `prisma migrate deploy` (schema engine 6.x/7.x) does, so that
 * either tool can take over from the other: same lock, same `_prisma_migrations` table and rows.
 * The one deliberate difference: Prisma inserts the row, runs the script, then updates the row;
 * we run the script and insert the finished row in one transaction, so a crash cannot leave a
 * started-but-unfinished record behind. A failure is still recorded the way Prisma records it.
 * Scripts that cannot run in a transaction are applied and recorded exactly as Prisma does, and
 * DDL waits for locks at most lockTimeoutMs at a time (see apply-migration.ts).
 */

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));

/** Prisma's lock key ("a unique number we chose to identify Migrate"). Advisory locks are per database. */
const MIGRATE_LOCK_KEY = 72707369;

// Prisma's DDL, verbatim, so the table is identical whichever tool created it.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

export type MigrateLogLevel = "info" | "warn";

/** Attempts after the first that a migration gets when it only timed out waiting for a lock. */
export const DEFAULT_LOCK_RETRIES = 5;
/** Pause before the first such retry; it doubles before each next one (1, 2, 4, 8, 16 s). */
export const DEFAULT_LOCK_RETRY_DELAY_MS = 1000;

export interface MigrateOptions {
  /** Defaults to the repository's prisma/migrations, wherever the process runs from. */
  migrationsDir?: string;
  /** Progress and warnings. Defaults to warnings on stderr. */
  log?: (level: MigrateLogLevel, message: string) => void;
  /**
   * lock_timeout for migration statements: how long one may wait for a table lock (and so keep
   * every later query on that table queued behind it) before it gives up and is retried.
   * Defaults to MIGRATE_LOCK_TIMEOUT_MS, else 5000; 0 waits without limit.
   */
  lockTimeoutMs?: number;
  /** Retries after lock timeouts before the migration fails (default 5). */
  lockRetries?: number;
  /** Pause before the first retry in ms, doubled before each next one (default 1000, at most 30 s). */
  lockRetryDelayMs?: number;
}

export interface MigrateResult {
  applied: string[];
}

export interface MigrationFile {
  name: string;
  script: string;
  checksum: string;
}

interface MigrationRecord {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
}

const defaultLog = (level: MigrateLogLevel, message: string): void => {
  if (level === "warn") console.warn(`warning: ${message}`);
};

export async function migrate(url: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const dir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const log = options.log ?? defaultLog;
  const policy = lockRetryPolicy(options);
  // Read the files before touching the database, like Prisma: a broken folder changes nothing.
  const files = readMigrations(dir);
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url, application_name: "coop-migrate" });
  client.on("error", () => {}); // a lost connection fails the query in flight, which reports it
  await client.connect();
  try {
    // Before any lock_timeout is set: waiting for another migrator is a reason to wait.
    await acquireLock(client, log);
    await initialize(client);
    const records = await listRecords(client);
    refuseFailed(records);
    warnAboutHistory(files, records, dir, log);
    return { applied: await applyPending({ client, policy, log }, files, records) };
  } finally {
    // Ending the session releases the advisory lock too; unlock first to hand over promptly.
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATE_LOCK_KEY]).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** Migration folders sorted by name (byte order, as Prisma sorts them), each with its checksum. */
export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new MigrationError("P3015", `migrations directory not found: ${dir}`);
  checkLockfile(dir);
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => {
    const file = join(dir, name, "migration.sql");
    if (!existsSync(file)) throw new MigrationError("P3015", `migration ${name} has no migration.sql (${file})`);
    const bytes = readFileSync(file);
    return { name, script: bytes.toString("utf8"), checksum: createHash("sha256").update(bytes).digest("hex") };
  });
}

/** Prisma refuses migrations written for another provider (P3019); so do we. */
function checkLockfile(dir: string): void {
  const lockfile = join(dir, "migration_lock.toml");
  if (!existsSync(lockfile)) return;
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(readFileSync(lockfile, "utf8"))?.[1];
  if (provider !== undefined && provider !== "postgresql") {
    throw new MigrationError("P3019", `${lockfile} names provider "${provider}", but this database is postgresql`);
  }
}

// Waits without limit (Prisma gives up after 10 s): another process's long migration is a reason
// to wait, not to fail a deploy.
async function acquireLock(client: pg.Client, log: NonNullable<MigrateOptions["log"]>): Promise<void> {
  const tried = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [MIGRATE_LOCK_KEY]);
  if (tried.rows[0]?.locked) return;
  log("info", "another migrator holds the migration lock; waiting for it");
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
}

/** Creates `_prisma_migrations` in an empty schema; refuses a non-empty schema without it (P3005). */
async function initialize(client: pg.Client): Promise<void> {
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname = current_schema()`,
  );
  const names = tables.rows.map((row) => row.name);
  if (names.includes("_prisma_migrations")) return;
  // Prisma ignores PostGIS's table when deciding whether a schema is empty.
  const others = names.filter((name) => name !== "spatial_ref_sys");
  if (others.length > 0) {
    throw new MigrationError(
      "P3005",
      `the database schema is not empty (tables: ${others.slice(0, 5).join(", ")}${others.length > 5 ? ", ..." : ""}) ` +
        "and has no _prisma_migrations table; baseline it before migrating (https://pris.ly/d/migrate-baseline)",
    );
  }
  await client.query(CREATE_MIGRATIONS_TABLE);
}

async function listRecords(client: pg.Client): Promise<MigrationRecord[]> {
  const result = await client.query<MigrationRecord>(
    `SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at, logs
     FROM _prisma_migrations ORDER BY started_at ASC`,
  );
  return result.rows;
}

/** Like Prisma's P3009: a failed migration must be resolved by a person before anything else runs. */
function refuseFailed(records: MigrationRecord[]): void {
  const failed = records.filter((record) => record.finished_at === null && record.rolled_back_at === null);
  if (failed.length === 0) return;
  const details = failed
    .map((record) => {
      const logs = record.logs?.trim() ? ` with the following logs:\n${record.logs.trim()}` : "";
      return `The \`${record.migration_name}\` migration started at ${record.started_at.toISOString()} failed${logs}`;
    })
    .join("\n");
  throw new MigrationError(
    "P3009",
    `found failed migrations in the target database, new migrations will not be applied. ` +
      `Fix the cause, then mark it with \`prisma migrate resolve --rolled-back <name>\` (or --applied) ` +
      `or set rolled_back_at on its _prisma_migrations row. https://pris.ly/d/migrate-resolve\n${details}`,
  );
}

function warnAboutHistory(
  files: MigrationFile[],
  records: MigrationRecord[],
  dir: string,
  log: NonNullable<MigrateOptions["log"]>,
): void {
  const byName = new Map(files.map((file) => [file.name, file]));
  for (const record of records) {
    if (record.finished_at === null || record.rolled_back_at !== null) continue;
    const file = byName.get(record.migration_name);
    if (!file) {
      log("warn", `migration ${record.migration_name} is recorded as applied but is missing from ${dir}`);
    } else if (file.checksum !== record.checksum) {
      log("warn", `migration ${record.migration_name} was modified after it was applied (checksum differs)`);
    }
  }
}

async function applyPending(
  session: MigrationSession,
  files: MigrationFile[],
  records: MigrationRecord[],
): Promise<string[]> {
  // Rolled-back records do not count: Prisma applies such a migration again.
  const done = new Set(records.filter((r) => r.rolled_back_at === null).map((r) => r.migration_name));
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file.name)) continue;
    session.log("info", `applying ${file.name}`);
    await applyMigration(session, file);
    applied.push(file.name);
  }
  return applied;
}

/** The options' lock settings, checked before anything touches the database. */
function lockRetryPolicy(options: MigrateOptions): LockRetryPolicy {
  const policy = {
    timeoutMs: options.lockTimeoutMs ?? migrateLockTimeoutMs(),
    retries: options.lockRetries ?? DEFAULT_LOCK_RETRIES,
    firstDelayMs: options.lockRetryDelayMs ?? DEFAULT_LOCK_RETRY_DELAY_MS,
  };
  if (!Number.isInteger(policy.timeoutMs) || policy.timeoutMs < 0 || policy.timeoutMs > MAX_LOCK_TIMEOUT_MS) {
    throw new RangeError(`lockTimeoutMs must be a whole number of milliseconds from 0 (no limit) to ${MAX_LOCK_TIMEOUT_MS}, got ${policy.timeoutMs}`);
  }
  if (!Number.isInteger(policy.retries) || policy.retries < 0) {
    throw new RangeError(`lockRetries must be a whole number from 0, got ${policy.retries}`);
  }
  if (!Number.isFinite(policy.firstDelayMs) || policy.firstDelayMs < 0) {
    throw new RangeError(`lockRetryDelayMs must be a number of milliseconds from 0, got ${policy.firstDelayMs}`);
  }
  return policy;
}
