import { randomBytes } from "node:crypto";
import { databaseUrl, withDatabase } from "./config";
import { connectMaintenance, ensureDatabase } from "./create-database";
import { migrate } from "./migrate";

export interface TestDatabase {
  url: string;
  name: string;
  /** Disconnects everyone and drops the database; safe to call twice. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Apply prisma/migrations (default true). False gives an empty database. */
  migrate?: boolean;
}

/** A new, migrated database named `${prefix}_${pid}_${random}` on the DATABASE_URL server. */
export async function createTestDatabase(
  prefix = "coop_test",
  options: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  await dropStaleTestDatabases(prefix).catch(() => []);
  const database = reserveTestDatabase(prefix);
  await ensureDatabase(database.url);
  if (options.migrate ?? true) await migrate(database.url, { log: () => {} });
  return database;
}

/** A unique name and url that nothing uses yet, for tests that create the database themselves. */
export function reserveTestDatabase(prefix = "coop_test"): TestDatabase {
  checkPrefix(prefix);
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const url = withDatabase(databaseUrl(), name);
  return { name, url, drop: () => dropDatabase(url, name) };
}

/**
 * Drops `${prefix}_<pid>_*` databases whose pid is not a live process on this machine, left by
 * crashed runs. Plain DROP (no FORCE): a database someone is still connected to is left alone.
 */
export async function dropStaleTestDatabases(prefix = "coop_test"): Promise<string[]> {
  checkPrefix(prefix);
  const pattern = new RegExp(`^${prefix}_(\\d+)_[0-9a-f]+$`);
  const client = await connectMaintenance(databaseUrl());
  const dropped: string[] = [];
  try {
    const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database");
    for (const { datname } of rows) {
      const pid = Number(pattern.exec(datname)?.[1]);
      if (!pid || isAlive(pid)) continue;
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)}`);
        dropped.push(datname);
      } catch {
        // In use or dropped by a concurrent cleaner: best effort.
      }
    }
  } finally {
    await client.end().catch(() => {});
  }
  return dropped;
}

async function dropDatabase(url: string, name: string): Promise<void> {
  const client = await connectMaintenance(url);
  try {
    // WITH (FORCE) terminates the remaining sessions (pg_terminate_backend) before dropping.
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end().catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"; // exists, owned by someone else
  }
}

// Also keeps the stale-database pattern unambiguous (prefix is spliced into a regex and a name).
function checkPrefix(prefix: string): void {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix)) {
    throw new Error(`test database prefix must match /^[a-z][a-z0-9_]{0,40}$/: ${prefix}`);
  }
}
