import pg from "pg";

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
  /** Where idle-client errors go; defaults to stderr. */
  onError?: (error: Error) => void;
  /** Server settings for every session of the pool (sent at connection start, `-c name=value`). */
  settings?: Record<string, string | number>;
}

/**
 * A pool that survives the server killing an idle connection (restart, pg_terminate_backend):
 * without an 'error' listener, pg re-emits it on the pool and the process crashes.
 */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.application_name,
    options: settingsOption(options.settings),
  });
  const onError = options.onError ?? ((error: Error) => console.error(`pg pool: idle client error: ${error.message}`));
  pool.on("error", onError);
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
