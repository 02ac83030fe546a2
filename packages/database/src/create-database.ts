import pg from "pg";
import { connectionTarget, withDatabase } from "./config";

const DUPLICATE_DATABASE = "42P04";
// Two concurrent CREATE DATABASE of one name can also collide on pg_database's unique index.
const UNIQUE_VIOLATION = "23505";

/** A client on the server's `postgres` maintenance database, for CREATE/DROP DATABASE. */
export async function connectMaintenance(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: withDatabase(url, "postgres"), application_name: "coop-admin" });
  client.on("error", () => {}); // a dropped admin connection surfaces on the next query instead
  await client.connect();
  return client;
}

/**
 * Creates the url's database if it does not exist. Returns true when this call created it.
 * Safe when several processes race: the losers see 42P04 or 23505 and treat it as done.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const { database } = connectionTarget(url);
  const client = await connectMaintenance(url);
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
