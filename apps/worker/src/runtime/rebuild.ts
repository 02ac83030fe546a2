import type { Queue } from "bullmq";
import pg from "pg";
import { compareCheckpoints, START, type Checkpoint, type EventStore, type RecordedEvent } from "@coop/event-store";
import { errorMessage, type Logger } from "../logger";
import { ident } from "../projections/sql";
import type { ProjectionDefinition, TableNames } from "../projections/types";
import { ensureProjectionRows, lockProjection, type ProjectionStatus } from "./checkpoints";
import { formatCheckpoint } from "./jobs";
import { assertStreamOrder } from "./projector";
import { enqueueCatchUp } from "./queues";

/** Events per short transaction while replaying into the shadow tables. */
export const REBUILD_CHUNK = 5_000;
export const REBUILD_SUFFIX = "__rebuild";

/** Rebuild locks (two-int advisory key: class, hashtext(name)): one rebuild per projection at a time. */
const REBUILD_LOCK_CLASS = 727_101;

export interface ShadowBuild {
  tables: TableNames;
  checkpoint: Checkpoint;
  /** Events read from the store (all types) and applied (handled types). */
  read: number;
  applied: number;
  seconds: number;
}

export interface ShadowOptions {
  suffix?: string;
  chunk?: number;
  log?: Logger;
}

type Db = pg.Pool | pg.ClientBase;

export function shadowTables(projection: ProjectionDefinition, suffix = REBUILD_SUFFIX): TableNames {
  return Object.fromEntries(projection.tables.map((t) => [t, `${t}${suffix}`]));
}

export async function dropShadow(db: Db, projection: ProjectionDefinition, suffix = REBUILD_SUFFIX): Promise<void> {
  for (const shadow of Object.values(shadowTables(projection, suffix))) await db.query(`DROP TABLE IF EXISTS ${ident(shadow)}`);
}

/**
 * Empty copies of the live tables: columns, defaults, constraints and indexes (LIKE ... INCLUDING
 * ALL), plus what LIKE leaves out but readers depend on: row-level security, its policies and the
 * table's grants. Triggers are refused rather than silently dropped by a swap.
 */
async function createShadow(client: pg.ClientBase, projection: ProjectionDefinition, suffix: string): Promise<TableNames> {
  const tables = shadowTables(projection, suffix);
  for (const [live, shadow] of Object.entries(tables)) {
    const { rows: triggers } = await client.query<{ tgname: string }>(
      "SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal",
      [live],
    );
    if (triggers.length > 0) {
      throw new Error(`table ${live} has triggers (${triggers.map((t) => t.tgname).join(", ")}), which a shadow rebuild would drop`);
    }
    await client.query(`DROP TABLE IF EXISTS ${ident(shadow)}`);
    await client.query(`CREATE TABLE ${ident(shadow)} (LIKE ${ident(live)} INCLUDING ALL)`);

    const { rows: flags } = await client.query<{ rls: boolean; force: boolean }>(
      "SELECT relrowsecurity AS rls, relforcerowsecurity AS force FROM pg_class WHERE oid = $1::regclass",
      [live],
    );
    if (flags[0]?.rls) await client.query(`ALTER TABLE ${ident(shadow)} ENABLE ROW LEVEL SECURITY`);
    if (flags[0]?.force) await client.query(`ALTER TABLE ${ident(shadow)} FORCE ROW LEVEL SECURITY`);
    const { rows: policies } = await client.query<{
      policyname: string;
      permissive: string;
      roles: string[];
      cmd: string;
      qual: string | null;
      with_check: string | null;
    }>(
      "SELECT policyname, permissive, roles::text[] AS roles, cmd, qual, with_check FROM pg_policies WHERE schemaname = current_schema() AND tablename = $1",
      [live],
    );
    for (const p of policies) {
      const roles = p.roles.map((r) => (r === "public" ? "PUBLIC" : ident(r))).join(", ");
      await client.query(
        `CREATE POLICY ${ident(p.policyname)} ON ${ident(shadow)} AS ${p.permissive} FOR ${p.cmd} TO ${roles}` +
          (p.qual ? ` USING (${p.qual})` : "") +
          (p.with_check ? ` WITH CHECK (${p.with_check})` : ""),
      );
    }
    const { rows: grants } = await client.query<{ grantee: string; privilege_type: string }>(
      `SELECT grantee, privilege_type FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = $1
          AND grantee <> (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1)`,
      [live],
    );
    for (const g of grants) {
      await client.query(`GRANT ${g.privilege_type} ON ${ident(shadow)} TO ${g.grantee === "PUBLIC" ? "PUBLIC" : ident(g.grantee)}`);
    }
  }
  return tables;
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Replays the whole event store into fresh shadow tables, in short transactions of `chunk`
 * events (a long writing transaction would hold back the event store's watermark for every
 * reader), reading the next chunk while the current one is applied. Stops at the watermark.
 */
export async function buildShadow(
  pool: pg.Pool,
  eventStore: EventStore,
  projection: ProjectionDefinition,
  options: ShadowOptions = {},
): Promise<ShadowBuild> {
  const suffix = options.suffix ?? REBUILD_SUFFIX;
  const chunk = options.chunk ?? REBUILD_CHUNK;
  const started = performance.now();
  const tables = await inTransaction(pool, (client) => createShadow(client, projection, suffix));
  const handled = new Set<string>(projection.handles);
  let checkpoint: Checkpoint = START;
  let read = 0;
  let applied = 0;
  let lastReport = started;
  let next = eventStore.readAll(checkpoint, chunk);
  for (;;) {
    const events = await next;
    if (events.length === 0) break;
    checkpoint = { transactionId: events[events.length - 1]!.transactionId, position: events[events.length - 1]!.position };
    next = eventStore.readAll(checkpoint, chunk);
    next.catch(() => undefined); // awaited on the next turn; avoids an unhandled rejection meanwhile
    const batch = events.filter((e) => handled.has(e.type));
    await inTransaction(pool, (client) => applyBatch(client, projection, batch, tables));
    read += events.length;
    applied += batch.length;
    const now = performance.now();
    if (options.log && now - lastReport > 2_000) {
      lastReport = now;
      options.log.info({ projection: projection.name, read, eventsPerSec: Math.round(read / ((now - started) / 1000)) }, "rebuild: replaying");
    }
  }
  return { tables, checkpoint, read, applied, seconds: (performance.now() - started) / 1000 };
}

async function applyBatch(client: pg.ClientBase, projection: ProjectionDefinition, events: RecordedEvent[], tables: TableNames) {
  if (events.length === 0) return;
  assertStreamOrder(projection.name, events);
  await projection.apply(client as pg.PoolClient, events, tables);
}

interface IndexInfo {
  index_name: string;
  def: string;
  conname: string | null;
}

async function indexesOf(client: pg.ClientBase, table: string): Promise<IndexInfo[]> {
  const { rows } = await client.query<IndexInfo>(
    `SELECT i.relname AS index_name, pg_get_indexdef(i.oid) AS def, c.conname
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = x.indrelid
      WHERE x.indrelid = $1::regclass ORDER BY i.relname`,
    [table],
  );
  return rows;
}

/** An index definition without its own name and its table's: equal for a table and its LIKE copy. */
export function indexSignature(def: string): string {
  const name = String.raw`(?:"(?:[^"]|"")+"|[^\s."]+)`;
  const match = new RegExp(String.raw`^CREATE (UNIQUE )?INDEX ${name} ON (?:ONLY )?(?:${name}\.)?${name} (.*)$`).exec(def);
  if (!match) throw new Error(`unexpected index definition: ${def}`);
  return `${match[1] ?? ""}${match[2]}`;
}

/**
 * After the swap, the new table's indexes and constraints carry its shadow names: give them the
 * original names (matched by definition), so the database still matches schema.prisma.
 */
async function restoreIndexNames(client: pg.ClientBase, table: string, original: IndexInfo[]): Promise<void> {
  const wanted = new Map<string, IndexInfo>();
  for (const index of original) {
    const signature = indexSignature(index.def);
    if (wanted.has(signature)) throw new Error(`table ${table} has two indexes with the same definition (${signature}): cannot match names`);
    wanted.set(signature, index);
  }
  const current = await indexesOf(client, table);
  for (const index of current) {
    const target = wanted.get(indexSignature(index.def));
    if (!target) throw new Error(`rebuilt ${table} has an index the live table did not have: ${index.def}`);
    if (index.index_name === target.index_name) continue;
    if (index.conname) {
      // Renaming the constraint renames its index too.
      await client.query(`ALTER TABLE ${ident(table)} RENAME CONSTRAINT ${ident(index.conname)} TO ${ident(target.conname ?? target.index_name)}`);
    } else {
      await client.query(`ALTER INDEX ${ident(index.index_name)} RENAME TO ${ident(target.index_name)}`);
    }
  }
  const after = (await indexesOf(client, table)).map((i) => `${i.index_name}/${i.conname ?? ""}`).sort();
  const before = original.map((i) => `${i.index_name}/${i.conname ?? ""}`).sort();
  if (after.join(",") !== before.join(",")) {
    throw new Error(`index names of ${table} differ after the swap: before ${before.join(", ")}; after ${after.join(", ")}`);
  }
}

export interface RebuildOptions {
  pool: pg.Pool;
  databaseUrl: string;
  eventStore: EventStore;
  projection: ProjectionDefinition;
  /** The projection's queue: resumed if it was paused, and given a catch-up job. */
  queue?: Queue;
  log?: Logger;
  /** Events per transaction while replaying (default REBUILD_CHUNK). */
  chunk?: number;
  /** How long the swap may wait for a table lock before it retries (default 5 s). */
  lockTimeoutMs?: number;
}

export interface RebuildResult {
  projection: string;
  checkpoint: Checkpoint;
  read: number;
  applied: number;
  /** Replay into the shadow tables (the bulk of the work). */
  replaySeconds: number;
  /** The final transaction: catch-up of the shadow, swap, checkpoint. */
  swapSeconds: number;
  eventsPerSec: number;
}

/**
 * Rebuilds a projection while its read model keeps answering queries: replay into shadow tables
 * in short transactions, then one short final transaction that locks the projection's row (live
 * processing of it pauses), brings the shadow up to date, swaps the tables under an exclusive
 * lock, restores index names and sets the checkpoint. Readers see the old table until the commit,
 * and the new one after; never an empty or half-built one.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { pool, projection } = options;
  const name = projection.name;
  const lockClient = new pg.Client({ connectionString: options.databaseUrl, application_name: `coop-rebuild:${name}:${process.pid}` });
  lockClient.on("error", () => undefined);
  await lockClient.connect();
  let previous: ProjectionStatus | null = null;
  try {
    const { rows: locked } = await lockClient.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok", [
      REBUILD_LOCK_CLASS,
      name,
    ]);
    if (!locked[0]?.ok) throw new Error(`a rebuild of ${name} is already running`);
    await ensureProjectionRows(pool, [name]);
    const { rows } = await pool.query<{ previous: ProjectionStatus }>(
      `UPDATE projections p SET status = 'REBUILDING', updated_at = now()
         FROM (SELECT status AS previous FROM projections WHERE name = $1 FOR UPDATE) o
        WHERE p.name = $1 RETURNING o.previous::text AS previous`,
      [name],
    );
    previous = rows[0]!.previous;
    options.log?.info({ projection: name, previous }, "rebuild: replaying the event store into shadow tables");

    const shadow = await buildShadow(pool, options.eventStore, projection, { chunk: options.chunk, log: options.log });
    // The shadow tables are fresh: without statistics the planner guesses, and a GIN index that was
    // filled by bulk inserts holds a long pending list every search scans. Both cost searches 100x.
    for (const table of Object.values(shadow.tables)) await pool.query(`VACUUM (ANALYZE) ${ident(table)}`);
    const swapStarted = performance.now();
    const final = await swapWithRetry(options, shadow);
    const swapSeconds = (performance.now() - swapStarted) / 1000;
    previous = null; // the status is RUNNING now: nothing to restore

    if (options.queue) {
      await options.queue.resume();
      const { rows: now } = await pool.query<{ transaction_id: string; position: string }>(
        "SELECT transaction_id::text AS transaction_id, position::text AS position FROM publisher_checkpoints WHERE name = 'main'",
      );
      if (now[0]) await enqueueCatchUp(options.queue, final.checkpoint, { transactionId: now[0].transaction_id, position: now[0].position });
    }
    const read = shadow.read + final.read;
    const applied = shadow.applied + final.applied;
    const seconds = shadow.seconds + swapSeconds;
    return {
      projection: name,
      checkpoint: final.checkpoint,
      read,
      applied,
      replaySeconds: shadow.seconds,
      swapSeconds,
      eventsPerSec: seconds > 0 ? Math.round(read / seconds) : read,
    };
  } catch (error) {
    await dropShadow(pool, projection).catch(() => undefined);
    if (previous !== null) {
      await pool
        .query("UPDATE projections SET status = $2::\"ProjectionState\", updated_at = now() WHERE name = $1 AND status = 'REBUILDING'", [name, previous])
        .catch(() => undefined);
    }
    throw error;
  } finally {
    await lockClient.end().catch(() => undefined);
  }
}

/** Whether some session holds `name`'s rebuild lock, i.e. a rebuild of it is running now. */
export async function isRebuildRunning(db: Db, name: string): Promise<boolean> {
  const { rows } = await db.query<{ running: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
        AND classid = $1::int::oid AND objid = hashtext($2)::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS running`,
    [REBUILD_LOCK_CLASS, name],
  );
  return rows[0]!.running;
}

/**
 * A projection left REBUILDING by a rebuild whose process died (its rebuild lock is free): drops
 * the half-built shadow tables and sets it RUNNING again. Live processing never stopped meanwhile,
 * so the live tables and checkpoint are current. True if it recovered one; a running rebuild is
 * left alone.
 */
export async function recoverAbandonedRebuild(pool: pg.Pool, projection: ProjectionDefinition): Promise<boolean> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok", [REBUILD_LOCK_CLASS, projection.name]);
    if (!rows[0]?.ok) return false;
    try {
      const updated = await client.query(
        "UPDATE projections SET status = 'RUNNING', updated_at = now() WHERE name = $1 AND status = 'REBUILDING'",
        [projection.name],
      );
      await dropShadow(client, projection);
      return (updated.rowCount ?? 0) > 0;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1::int, hashtext($2))", [REBUILD_LOCK_CLASS, projection.name]);
    }
  } finally {
    client.release();
  }
}

async function swapWithRetry(options: RebuildOptions, shadow: ShadowBuild) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await swap(options, shadow);
    } catch (error) {
      // 55P03 lock_not_available: a long reader held a table; the shadow is intact, try again.
      if ((error as { code?: string }).code !== "55P03" || attempt >= 10) throw error;
      options.log?.warn({ projection: options.projection.name, attempt, err: errorMessage(error) }, "rebuild: swap waited too long for a lock; retrying");
    }
  }
}

async function swap(options: RebuildOptions, shadow: ShadowBuild): Promise<{ checkpoint: Checkpoint; read: number; applied: number }> {
  const { pool, projection, eventStore } = options;
  const chunk = options.chunk ?? REBUILD_CHUNK;
  const handled = new Set<string>(projection.handles);
  return inTransaction(pool, async (client) => {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs ?? 5_000))}`);
    // Live processing of this projection waits here (and finishes any job in hand first).
    const row = await lockProjection(client, projection.name);
    let checkpoint = shadow.checkpoint;
    let read = 0;
    let applied = 0;
    for (;;) {
      const events = await eventStore.readAll(checkpoint, chunk);
      if (events.length === 0) break;
      const batch = events.filter((e) => handled.has(e.type));
      await applyBatch(client, projection, batch, shadow.tables);
      checkpoint = { transactionId: events[events.length - 1]!.transactionId, position: events[events.length - 1]!.position };
      read += events.length;
      applied += batch.length;
    }
    if (compareCheckpoints(checkpoint, row.checkpoint) < 0) {
      throw new Error(`rebuild of ${projection.name}: shadow reached ${formatCheckpoint(checkpoint)}, behind the live checkpoint ${formatCheckpoint(row.checkpoint)}`);
    }
    const originals = new Map<string, IndexInfo[]>();
    for (const live of projection.tables) originals.set(live, await indexesOf(client, live));
    await client.query(`LOCK TABLE ${projection.tables.map(ident).join(", ")} IN ACCESS EXCLUSIVE MODE`);
    for (const live of projection.tables) {
      const old = `${live}__old`;
      await client.query(`DROP TABLE IF EXISTS ${ident(old)}`);
      await client.query(`ALTER TABLE ${ident(live)} RENAME TO ${ident(old)}`);
      await client.query(`ALTER TABLE ${ident(shadow.tables[live]!)} RENAME TO ${ident(live)}`);
      await client.query(`DROP TABLE ${ident(old)}`);
      await restoreIndexNames(client, live, originals.get(live)!);
    }
    await client.query(
      `UPDATE projections SET transaction_id = $2::bigint, position = $3::bigint, status = 'RUNNING', last_error = NULL,
              events_processed = $4::bigint, updated_at = now() WHERE name = $1`,
      [projection.name, checkpoint.transactionId, checkpoint.position, shadow.applied + applied],
    );
    return { checkpoint, read, applied };
  });
}
