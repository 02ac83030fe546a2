import pg from "pg";

export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/coop";

/** The database every process uses unless DATABASE_URL says otherwise. */
export function databaseUrl(): string {
  return process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}

/** The connection pg would open for this url: parsed by pg itself so names decode the same way. */
export function connectionTarget(url: string): { host: string; port: number; database: string; user: string } {
  const client = new pg.Client({ connectionString: url });
  return {
    host: client.host,
    port: client.port,
    database: client.database ?? client.user ?? "",
    user: client.user ?? "",
  };
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const next = new URL(url);
  // The pathname setter escapes only what a path must; pg reads it back with decodeURI, which
  // leaves %3B and friends encoded, so encodeURIComponent would name another database.
  next.pathname = `/${database}`;
  return next.toString();
}

/** The url without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable DATABASE_URL>";
  }
}

/** How long a migration statement waits for a table lock before it gives up and retries. */
export const DEFAULT_MIGRATE_LOCK_TIMEOUT_MS = 5000;
/** PostgreSQL's upper bound for lock_timeout (INT_MAX milliseconds). */
export const MAX_LOCK_TIMEOUT_MS = 2_147_483_647;

/** MIGRATE_LOCK_TIMEOUT_MS, or the default; 0 waits without limit, as PostgreSQL does. */
export function migrateLockTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MIGRATE_LOCK_TIMEOUT_MS?.trim();
  if (!raw) return DEFAULT_MIGRATE_LOCK_TIMEOUT_MS;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_LOCK_TIMEOUT_MS) {
    throw new Error(
      `MIGRATE_LOCK_TIMEOUT_MS must be a whole number of milliseconds from 0 (no limit) to ${MAX_LOCK_TIMEOUT_MS}, got "${raw}"`,
    );
  }
  return Number(raw);
}
