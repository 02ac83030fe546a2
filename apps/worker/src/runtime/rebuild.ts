import type pg from "pg";
import { compareCheckpoints, START, type Checkpoint, type EventStore, type RecordedEvent } from "@coop/event-store";
import { errorMessage, type Logger } from "../logger";
import { ident } from "../projections/sql";
import { tablesOf, wants, type ProjectionDefinition, type TableNames } from "../projections/types";
import type { ProjectionStatus } from "./checkpoints";
import { formatCheckpoint } from "./jobs";
import { laneOf } from "./lanes";
import { Lease, leaseHolder, rebuildLease } from "./lease";
import { assertStreamOrder } from "./projector";

/** Events per short transaction while replaying into the shadow tables. */
export const REBUILD_CHUNK = 5_000;
/**
 * Transactions applying one chunk of a rebuild at once. Two took the rebuild of `family-detail`
 * from 35,900 to 39,600 events/s on 2 cores (PostgreSQL's upserts are most of the work).
 */
const APPLIERS = 2;
export const REBUILD_SUFFIX = "__rebuild";


export interface ShadowBuild {
  tables: TableNames;
  checkpoint: Checkpoint;
  /** Events read from the store (all types) and applied (wanted ones). */
  read: number;
  applied: number;
  /** Events applied per lane of the layout being built (what each lane row counts). */
  appliedPerLane: number[];
  seconds: number;
}

export interface ShadowOptions {
  suffix?: string;
  chunk?: number;
  log?: Logger;
  /** The number of lanes being built (for the per-lane counts); 1 by default. */
  lanes?: number;
  /** Checked between chunks: a rebuild that lost its lease stops. */
  abort?: () => string | null;
}

type Db = pg.Pool | pg.ClientBase;

export function shadowTables(projection: ProjectionDefinition, suffix = REBUILD_SUFFIX): TableNames {
  return Object.fromEntries(tablesOf(projection).map((t) => [t, `${t}${suffix}`]));
}

export async function dropShadow(db: Db, projection: ProjectionDefinition, suffix = REBUILD_SUFFIX): Promise<void> {
  for (const shadow of Object.values(shadowTables(projection, suffix))) await db.query(`DROP TABLE IF EXISTS ${ident(shadow)}`);
}

/**
 * Empty copies of the live tables: columns, defaults, constraints and indexes (LIKE ... INCLUDING
 * ALL), plus what LIKE leaves out but readers depend on: row-level security, its policies and the
 * table's grants. Triggers are refused rather than silently dropped by a swap. The indexes that
 * back no constraint are left out, and returned for `buildShadow` to create once the rows are in.
 */
async function createShadow(client: pg.ClientBase, projection: ProjectionDefinition, suffix: string): Promise<{ tables: TableNames; deferredIndexes: string[] }> {
  const tables = shadowTables(projection, suffix);
  const deferredIndexes: string[] = [];
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
    // Indexes that back no constraint (search, ordering) are built once the shadow is full: one
    // sort instead of an update per row (a trigram GIN index most of all). Projections find their
    // rows by primary key, which stays, as does every unique constraint an upsert relies on.
    for (const index of await indexesOf(client, shadow)) {
      if (index.conname !== null) continue;
      deferredIndexes.push(index.def);
      await client.query(`DROP INDEX ${ident(index.index_name)}`);
    }

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
  return { tables, deferredIndexes };
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
  const { tables, deferredIndexes } = await inTransaction(pool, (client) => createShadow(client, projection, suffix));
  const lanes = options.lanes ?? 1;
  const appliedPerLane = new Array<number>(lanes).fill(0);
  let checkpoint: Checkpoint = START;
  let read = 0;
  let applied = 0;
  let lastReport = started;
  let next = eventStore.readAll(checkpoint, chunk, { lean: true });
  for (;;) {
    const events = await next;
    if (events.length === 0) break;
    checkpoint = { transactionId: events[events.length - 1]!.transactionId, position: events[events.length - 1]!.position };
    next = eventStore.readAll(checkpoint, chunk, { lean: true });
    next.catch(() => undefined); // awaited on the next turn; avoids an unhandled rejection meanwhile
    const stop = options.abort?.();
    if (stop) throw new Error(`rebuild of ${projection.name} stopped: ${stop}`);
    const batch = events.filter((e) => wants(projection, e));
    // Settled, all of them, before a failure goes on: nothing may still write to the shadow it drops.
    const outcomes = await Promise.allSettled(splitByStream(batch, APPLIERS).map((part) => inTransaction(pool, (client) => applyBatch(client, projection, part, tables))));
    const failed = outcomes.find((o) => o.status === "rejected");
    if (failed) throw failed.reason;
    for (const e of batch) appliedPerLane[laneOf(e.streamHash, lanes)]!++;
    read += events.length;
    applied += batch.length;
    const now = performance.now();
    if (options.log && now - lastReport > 2_000) {
      lastReport = now;
      options.log.info({ projection: projection.name, read, eventsPerSec: Math.round(read / ((now - started) / 1000)) }, "rebuild: replaying");
    }
  }
  const indexing = performance.now();
  for (const definition of deferredIndexes) await pool.query(definition);
  if (deferredIndexes.length > 0) options.log?.info({ projection: projection.name, indexes: deferredIndexes.length, seconds: (performance.now() - indexing) / 1000 }, "rebuild: indexes built");
  return { tables, checkpoint, read, applied, appliedPerLane, seconds: (performance.now() - started) / 1000 };
}

/**
 * A chunk's events in `parts` groups by stream (each stream's events in one group, in order), for
 * that many transactions at once: PostgreSQL's side of the upserts is most of a rebuild, and one
 * transaction keeps one of its processes busy. Lanes of a projection are applied concurrently in
 * live processing too, so its writes are already safe side by side (commutative, locked in key order).
 */
function splitByStream(events: RecordedEvent[], parts: number): RecordedEvent[][] {
  if (parts <= 1 || events.length === 0) return [events];
  const groups = Array.from({ length: parts }, (): RecordedEvent[] => []);
  for (const e of events) groups[laneOf(e.streamHash, parts)]!.push(e);
  return groups.filter((g) => g.length > 0);
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

interface DependentView {
  name: string;
  definition: string;
  options: string[] | null;
  owner: string;
  grants: { grantee: string; privilege_type: string }[];
}

/**
 * The views over a projection's tables (the search view of row-level security), which a swap must
 * drop and create again over the new tables: a view follows its table through a rename, and would
 * keep the old one from being dropped. A view over such a view is refused rather than lost.
 */
async function viewsOver(client: pg.ClientBase, tables: readonly string[]) {
  const { rows } = await client.query<{ oid: string; name: string; definition: string; options: string[] | null; owner: string }>(
    `SELECT DISTINCT v.oid::text AS oid, v.relname AS name, pg_get_viewdef(v.oid) AS definition, v.reloptions AS options, pg_get_userbyid(v.relowner) AS owner
       FROM pg_depend d
       JOIN pg_rewrite r ON r.oid = d.objid
       JOIN pg_class v ON v.oid = r.ev_class
      WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjid = ANY (SELECT to_regclass(quote_ident(t)) FROM unnest($1::text[]) t) AND v.oid <> d.refobjid
      ORDER BY v.relname`,
    [tables],
  );
  return rows;
}

/**
 * Locks the tables for the swap, and the views over them first: a query on a view locks the view,
 * then its table, and the swap must take them in the same order or the two deadlock.
 */
async function lockForSwap(client: pg.ClientBase, tables: readonly string[]): Promise<void> {
  const views = (await viewsOver(client, tables)).map((v) => v.name);
  await client.query(`LOCK TABLE ${[...views, ...tables].map(ident).join(", ")} IN ACCESS EXCLUSIVE MODE`);
}

async function dropDependentViews(client: pg.ClientBase, tables: readonly string[]): Promise<DependentView[]> {
  const rows = await viewsOver(client, tables);
  const views: DependentView[] = [];
  for (const view of rows) {
    const { rows: nested } = await client.query<{ name: string }>(
      `SELECT DISTINCT r.ev_class::regclass::text AS name FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
        WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = $1::oid AND r.ev_class <> $1::oid`,
      [view.oid],
    );
    if (nested.length > 0) throw new Error(`view ${view.name} has views over it (${nested.map((n) => n.name).join(", ")}), which a swap would have to rebuild too`);
    const { rows: grants } = await client.query<{ grantee: string; privilege_type: string }>(
      `SELECT grantee, privilege_type FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = $1 AND grantee <> $2`,
      [view.name, view.owner],
    );
    views.push({ ...view, grants });
    await client.query(`DROP VIEW ${ident(view.name)}`);
  }
  return views;
}

async function createViews(client: pg.ClientBase, views: readonly DependentView[]): Promise<void> {
  for (const view of views) {
    const options = view.options?.length ? ` WITH (${view.options.join(", ")})` : "";
    await client.query(`CREATE VIEW ${ident(view.name)}${options} AS ${view.definition}`);
    const { rows } = await client.query<{ owner: string }>("SELECT current_user AS owner");
    if (rows[0]!.owner !== view.owner) await client.query(`ALTER VIEW ${ident(view.name)} OWNER TO ${ident(view.owner)}`);
    for (const g of view.grants) {
      await client.query(`GRANT ${g.privilege_type} ON ${ident(view.name)} TO ${g.grantee === "PUBLIC" ? "PUBLIC" : ident(g.grantee)}`);
    }
  }
}

export interface RebuildOptions {
  pool: pg.Pool;
  eventStore: EventStore;
  projection: ProjectionDefinition;
  /** The lanes the rebuilt read model is run in (PROJECTION_LANES). */
  lanes: number;
  /** Who holds the rebuild's lease: unique per process. */
  holder: string;
  /** How long the rebuild's lease lasts without renewal (renewed every fifth of it). */
  leaseMs?: number;
  log?: Logger;
  /** Events per transaction while replaying (default REBUILD_CHUNK). */
  chunk?: number;
  /** How long the swap may wait for a table lock before it retries (default 5 s). */
  lockTimeoutMs?: number;
}

export interface RebuildResult {
  projection: string;
  checkpoint: Checkpoint;
  version: number;
  lanes: number;
  read: number;
  applied: number;
  /** Replay into the shadow tables (the bulk of the work). */
  replaySeconds: number;
  /** The final transaction: catch-up of the shadow, swap, checkpoints. */
  swapSeconds: number;
  eventsPerSec: number;
}

/**
 * Rebuilds a projection blue/green while its read model keeps answering queries and live events
 * keep being applied to it: replay into shadow tables in short transactions, then one short final
 * transaction that locks the projection's lanes (live processing of it pauses), brings the shadow
 * up to date, swaps the tables under an exclusive lock, restores index names, and sets every lane
 * of the new layout at the same checkpoint, with the code's version. Readers see the old tables
 * until the commit and the new ones after; never an empty or half-built one. One process at a
 * time holds the rebuild's lease; if it dies, the lease expires and the active publisher clears the
 * half-built shadow.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { pool, projection } = options;
  const name = projection.name;
  const leaseMs = options.leaseMs ?? 10_000;
  const lease = new Lease(pool, rebuildLease(name), options.holder, leaseMs);
  if (!(await lease.acquire())) throw new Error(`a rebuild of ${name} is already running`);
  let lost: string | null = null;
  let renewing = false;
  const renewal = setInterval(() => {
    if (renewing) return; // one renewal at a time: a slow database must not take the whole pool
    renewing = true;
    lease
      .acquire()
      .then(
        (held) => {
          if (!held) lost ??= "its lease was taken by another process";
        },
        (error: unknown) => {
          lost ??= `its lease could not be renewed: ${errorMessage(error)}`;
        },
      )
      .finally(() => (renewing = false));
  }, Math.max(200, Math.floor(leaseMs / 5)));
  let previous: ProjectionStatus | null = null;
  try {
    const { rows } = await pool.query<{ previous: ProjectionStatus }>(
      `UPDATE projections p SET status = 'REBUILDING', updated_at = now()
         FROM (SELECT status AS previous FROM projections WHERE name = $1 FOR UPDATE) o
        WHERE p.name = $1 RETURNING o.previous::text AS previous`,
      [name],
    );
    if (!rows[0]) throw new Error(`projection ${name} has no row: start a worker first (it creates the rows)`);
    previous = rows[0].previous;
    options.log?.info({ projection: name, previous, lanes: options.lanes, version: projection.version }, "rebuild: replaying the event store into shadow tables");

    const shadow = await buildShadow(pool, options.eventStore, projection, { chunk: options.chunk, log: options.log, lanes: options.lanes, abort: () => lost });
    // The shadow tables are fresh: without statistics the planner guesses (searches ran 100x slower).
    for (const table of Object.values(shadow.tables)) await pool.query(`VACUUM (ANALYZE) ${ident(table)}`);
    if (lost) throw new Error(`rebuild of ${name} stopped: ${lost}`);
    const swapStarted = performance.now();
    const final = await swapWithRetry(options, shadow);
    const swapSeconds = (performance.now() - swapStarted) / 1000;
    previous = null; // RUNNING now: nothing to restore
    const read = shadow.read + final.read;
    const applied = shadow.applied + final.applied;
    const seconds = shadow.seconds + swapSeconds;
    return {
      projection: name,
      checkpoint: final.checkpoint,
      version: projection.version,
      lanes: options.lanes,
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
    clearInterval(renewal);
    await lease.release().catch(() => undefined);
  }
}

/** Whether a rebuild of `name` is running now (some process holds its lease). */
export async function isRebuildRunning(db: Db, name: string): Promise<boolean> {
  return (await leaseHolder(db, rebuildLease(name))) !== null;
}

/**
 * A projection left REBUILDING by a rebuild whose process died or froze (its lease expired): drops
 * the half-built shadow tables and sets it RUNNING again. Live processing never stopped meanwhile,
 * so the live tables and checkpoints are current. True if it recovered one; a running rebuild is
 * left alone.
 */
export async function recoverAbandonedRebuild(pool: pg.Pool, projection: ProjectionDefinition, holder: string): Promise<boolean> {
  const lease = new Lease(pool, rebuildLease(projection.name), holder, 30_000);
  if (!(await lease.acquire())) return false;
  try {
    const updated = await pool.query("UPDATE projections SET status = 'RUNNING', updated_at = now() WHERE name = $1 AND status = 'REBUILDING'", [projection.name]);
    await dropShadow(pool, projection);
    return (updated.rowCount ?? 0) > 0;
  } finally {
    await lease.release().catch(() => undefined);
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
  const lanes = options.lanes;
  return inTransaction(pool, async (client) => {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs ?? 5_000))}`);
    // The projection's row, locked to the end: another rebuild cannot start (it marks the row
    // REBUILDING first) until this one has swapped. Then the lease must still be ours (read, not
    // locked: its renewal goes on while the swap waits for locks).
    await client.query("SELECT 1 FROM projections WHERE name = $1 FOR UPDATE", [projection.name]);
    const { rows: held } = await client.query("SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND expires_at > now()", [
      rebuildLease(projection.name),
      options.holder,
    ]);
    if (held.length === 0) throw new Error(`rebuild of ${projection.name}: its lease expired before the swap`);
    // The publisher records what it handed to lanes on its checkpoint row, reading the layouts FOR
    // SHARE: holding both here, it waits, then sees the new layout and marks its lanes as owing.
    await client.query("SELECT 1 FROM publisher_checkpoints FOR UPDATE");
    // Live processing of this projection waits here (and finishes any job in hand first).
    const { rows: laneRows } = await client.query<{ transaction_id: string; position: string }>(
      "SELECT transaction_id::text AS transaction_id, position::text AS position FROM projection_lanes WHERE projection = $1 ORDER BY lane FOR UPDATE",
      [projection.name],
    );
    let checkpoint = shadow.checkpoint;
    let read = 0;
    let applied = 0;
    const appliedPerLane = [...shadow.appliedPerLane];
    for (;;) {
      const events = await eventStore.readAll(checkpoint, chunk, { lean: true });
      if (events.length === 0) break;
      const batch = events.filter((e) => wants(projection, e));
      await applyBatch(client, projection, batch, shadow.tables);
      for (const e of batch) appliedPerLane[laneOf(e.streamHash, lanes)]!++;
      checkpoint = { transactionId: events[events.length - 1]!.transactionId, position: events[events.length - 1]!.position };
      read += events.length;
      applied += batch.length;
    }
    for (const lane of laneRows) {
      const at = { transactionId: lane.transaction_id, position: lane.position };
      if (compareCheckpoints(checkpoint, at) < 0) {
        throw new Error(`rebuild of ${projection.name}: shadow reached ${formatCheckpoint(checkpoint)}, behind a live lane at ${formatCheckpoint(at)}`);
      }
    }
    const originals = new Map<string, IndexInfo[]>();
    for (const live of tablesOf(projection)) originals.set(live, await indexesOf(client, live));
    await lockForSwap(client, tablesOf(projection));
    const views = await dropDependentViews(client, tablesOf(projection));
    for (const live of tablesOf(projection)) {
      const old = `${live}__old`;
      await client.query(`DROP TABLE IF EXISTS ${ident(old)}`);
      await client.query(`ALTER TABLE ${ident(live)} RENAME TO ${ident(old)}`);
      await client.query(`ALTER TABLE ${ident(shadow.tables[live]!)} RENAME TO ${ident(live)}`);
      await client.query(`DROP TABLE ${ident(old)}`);
      await restoreIndexNames(client, live, originals.get(live)!);
    }
    await createViews(client, views);
    // Every lane of the new layout starts at the checkpoint the shadow reached, with nothing handed
    // to it beyond (the publisher's next batch hands it what comes after).
    await client.query("DELETE FROM projection_lanes WHERE projection = $1", [projection.name]);
    await client.query(
      `INSERT INTO projection_lanes (projection, lane, transaction_id, position, events_processed, last_applied_at)
       SELECT $1, l, $2::bigint, $3::bigint, ($4::bigint[])[l + 1], now() FROM generate_series(0, $5::int - 1) l`,
      [projection.name, checkpoint.transactionId, checkpoint.position, appliedPerLane, lanes],
    );
    await client.query(
      `UPDATE publisher_checkpoints SET published =
         (SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM jsonb_each(published) AS e(k, v) WHERE split_part(k, '/', 1) <> $1)
         || (SELECT jsonb_object_agg($1 || '/' || l, jsonb_build_array($2::text, $3::text)) FROM generate_series(0, $4::int - 1) l)`,
      [projection.name, checkpoint.transactionId, checkpoint.position, lanes],
    );
    await client.query(
      `UPDATE projections SET version = $2, lanes = $3, status = 'RUNNING', last_error = NULL, error_since = NULL, updated_at = now() WHERE name = $1`,
      [projection.name, projection.version, lanes],
    );
    // Parked streams belonged to the old read model: the new one was built from every event.
    await client.query("DELETE FROM dead_letters WHERE projection = $1", [projection.name]);
    return { checkpoint, read, applied };
  });
}
