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
