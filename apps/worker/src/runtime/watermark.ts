import type pg from "pg";

/**
 * The event store's readers take only events below the oldest transaction still running on the
 * server (pg_snapshot_xmin): any open writing transaction, in any database of the server, holds
 * them back until it ends. This names the one doing it now, for operators. (Seeing other users'
 * sessions needs the role pg_read_all_stats, or a superuser.)
 */
export interface WatermarkHolder {
  pid: number;
  database: string;
  application: string;
  state: string | null;
  ageSeconds: number;
}

export async function readWatermarkHolder(db: pg.Pool | pg.ClientBase): Promise<WatermarkHolder | null> {
  const { rows } = await db.query<{ pid: number; datname: string | null; application_name: string | null; state: string | null; age: number | null }>(
    `SELECT pid, datname, application_name, state, extract(epoch FROM now() - coalesce(xact_start, backend_start))::float8 AS age
       FROM pg_stat_activity
      WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
      ORDER BY age(backend_xid) DESC LIMIT 1`,
  );
  const r = rows[0];
  if (!r) return null;
  return { pid: r.pid, database: r.datname ?? "", application: r.application_name ?? "", state: r.state, ageSeconds: Math.max(0, r.age ?? 0) };
}
