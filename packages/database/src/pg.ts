import pg from "pg";
import { guardSettings, type SessionGuards } from "./session-guards";

// Type parsers are process-wide in pg, so they are set once, here, at import time.
// INT8 (oid 20) keeps pg's default: a string. Positions are 64-bit; a JS number would lose precision.
// DATE (oid 1082) stays the raw 'YYYY-MM-DD' text: pg's default builds a Date at local midnight,
// which shifts the day whenever the process and the data disagree on the time zone.
// Array oids are not in pg-types' TypeId enum, hence the casts.
type TypeId = Parameters<typeof pg.types.getTypeParser>[0];
const DATE_ARRAY = 1182 as TypeId;
const TEXT_ARRAY = 1009 as TypeId;
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);
pg.types.setTypeParser(DATE_ARRAY, pg.types.getTypeParser(TEXT_ARRAY));

export interface PoolOptions {
  max?: number;
  application_name?: string;
  /** Where connection errors go (idle or checked out); defaults to stderr. */
  onError?: (error: Error) => void;
  /** Server settings for every session of the pool (sent at connection start, `-c name=value`). */
  settings?: Record<string, string | number>;
  /** Timeouts and keepalives for every session (see session-guards.ts); none when omitted. */
  guards?: SessionGuards;
  /** How long acquiring a connection may take before it fails (default 5 s; 0 waits forever). */
  connectionTimeoutMs?: number;
}

/**
 * A pool that survives the server going away (restart, pg_terminate_backend, a network fault):
 * every client, idle or checked out, has an 'error' listener (without one, pg re-emits the error
 * and the process crashes), acquiring a connection gives up after a while instead of waiting
 * forever, and the client side sends TCP keepalives.
 */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const settings = { ...(options.guards ? guardSettings(options.guards) : {}), ...options.settings };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.application_name,
    options: settingsOption(Object.keys(settings).length > 0 ? settings : undefined),
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
  });
  const onError = options.onError ?? ((error: Error) => console.error(`pg pool: client error: ${error.message}`));
  pool.on("error", onError);
  // A checked-out client's connection can die too (a server restart mid-transaction): its query
  // fails, and the 'error' it also emits must not go unheard.
  pool.on("connect", (client) => client.on("error", onError));
  return pool;
}

function settingsOption(settings: PoolOptions["settings"]): string | undefined {
  if (!settings) return undefined;
  return Object.entries(settings)
    .map(([name, value]) => {
      if (!/^[a-z_][a-z0-9_.]*$/i.test(name) || !/^[\w.-]+$/.test(String(value))) throw new Error(`bad session setting ${name}=${value}`);
      return `-c ${name}=${value}`;
    })
    .join(" ");
}
