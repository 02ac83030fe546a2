import pg from "pg";
import { connectionTarget, withDatabase } from "./config";

const DATABASE_DOES_NOT_EXIST = "3D000";
const DUPLICATE_DATABASE = "42P04";
// Two concurrent CREATE DATABASE of one name can also collide on pg_database's unique index.
const UNIQUE_VIOLATION = "23505";
// A maintenance database this role may not use: no CONNECT privilege, or pg_hba refuses it.
const ACCESS_DENIED = new Set(["42501", "28000"]);

/**
 * Where CREATE and DROP DATABASE run from, tried in this order as Prisma's schema engine does:
 * `postgres` on most servers, `template1` on every server, `defaultdb` on DigitalOcean.
 */
export const MAINTENANCE_DATABASES: readonly string[] = ["postgres", "template1", "defaultdb"];

export interface EnsureDatabaseOptions {
  /** Maintenance databases to try when the database must be created; defaults to MAINTENANCE_DATABASES. */
  maintenanceDatabases?: readonly string[];
}

/**
 * A client on the first maintenance database this role can connect to, for CREATE/DROP DATABASE.
 * One that does not exist or refuses this role is skipped; any other failure (network, password)
 * is thrown at once, since every other database would fail the same way.
 */
export async function connectMaintenance(
  url: string,
  databases: readonly string[] = MAINTENANCE_DATABASES,
): Promise<pg.Client> {
  const refusals: string[] = [];
  for (const database of databases) {
    const client = new pg.Client({ connectionString: withDatabase(url, database), application_name: "coop-admin" });
    client.on("error", () => {}); // a dropped admin connection surfaces on the next query instead
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      const code = (error as { code?: string }).code;
      if (code !== DATABASE_DOES_NOT_EXIST && !ACCESS_DENIED.has(code ?? "")) throw error;
      refusals.push(`${database}: ${(error as Error).message}`);
    }
  }
  throw new Error(
    `cannot connect to any maintenance database to create or drop a database from (${refusals.join("; ") || "none given"}); ` +
      "create the database by hand, or let this role connect to one of them",
  );
}

/**
 * Creates the url's database if it does not exist. Returns true when this call created it.
 * Connects to the database itself first, so a role that may use only its own, existing database
 * never needs a maintenance database (as `prisma migrate deploy` does). Safe when several
 * processes race: the losers see 42P04 or 23505 and treat it as done.
 */
export async function ensureDatabase(url: string, options: EnsureDatabaseOptions = {}): Promise<boolean> {
  if (await databaseExists(url)) return false;
  const { database } = connectionTarget(url);
  const client = await connectMaintenance(url, options.maintenanceDatabases);
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return false;
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/** True when a connection to the database opens; false only when the server says it does not exist. */
async function databaseExists(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, application_name: "coop-admin" });
  client.on("error", () => {});
  try {
    await client.connect();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === DATABASE_DOES_NOT_EXIST) return false;
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}
