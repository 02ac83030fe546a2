import { isDeepStrictEqual } from "node:util";
import type pg from "pg";
import { START, type EventStore } from "@coop/event-store";
import { projections } from "../projections/projections";
import { ident } from "../projections/sql";
import { tablesOf, wants } from "../projections/types";
import { buildShadow, dropShadow } from "../runtime/rebuild";
import type { ExpectedModel } from "./model";

const BIGINT_COLUMNS = new Set(["total_paid_cents", "total_days_late", "revenue_cents", "amount_cents"]);

/** Rows of a table without updated_at, with dates/uuids/enums as text and bigints as numbers. */
async function readTable(pool: pg.Pool, table: string, unchecked: readonly string[] = []): Promise<Record<string, unknown>[]> {
  const { rows: columns } = await pool.query<{ column_name: string; data_type: string }>(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  const list = columns
    .filter((c) => c.column_name !== "updated_at" && !unchecked.includes(c.column_name))
    .map((c) => (["jsonb", "integer", "boolean", "text"].includes(c.data_type) ? ident(c.column_name) : `${ident(c.column_name)}::text AS ${ident(c.column_name)}`));
  const { rows } = await pool.query<Record<string, unknown>>(`SELECT ${list.join(", ")} FROM ${ident(table)}`);
  for (const row of rows) for (const column of BIGINT_COLUMNS) if (typeof row[column] === "string") row[column] = Number(row[column]);
  return rows;
}

function diffRows(table: string, keys: string[], actual: Record<string, unknown>[], expected: object[], problems: string[]): void {
  const keyOf = (r: Record<string, unknown>) => keys.map((k) => String(r[k])).join("/");
  const actualByKey = new Map(actual.map((r) => [keyOf(r), r]));
  const expectedByKey = new Map((expected as Record<string, unknown>[]).map((r) => [keyOf(r), r]));
  for (const [key, want] of expectedByKey) {
    const got = actualByKey.get(key);
    if (!got) {
      problems.push(`${table} ${key}: missing (expected ${JSON.stringify(want)})`);
      continue;
    }
    for (const column of Object.keys(want)) {
      if (!isDeepStrictEqual(got[column], want[column])) {
        problems.push(`${table} ${key}.${column}: got ${JSON.stringify(got[column])}, expected ${JSON.stringify(want[column])}`);
      }
    }
    for (const column of Object.keys(got)) if (!(column in want)) problems.push(`${table}: column ${column} is not checked by the model`);
  }
  for (const key of actualByKey.keys()) if (!expectedByKey.has(key)) problems.push(`${table} ${key}: unexpected row ${JSON.stringify(actualByKey.get(key))}`);
}

/**
 * (a) The read models equal what the independent model expects, table by table; what the model
 * cannot know (timestamps) each feature checks against the events themselves.
 */
export async function compareWithModel(pool: pg.Pool, model: ExpectedModel): Promise<string[]> {
  const problems: string[] = [];
  const covered = new Set<string>();
  for (const [table, expected] of Object.entries(model.tables())) {
    covered.add(table);
    diffRows(table, expected.keys, await readTable(pool, table, expected.unchecked), expected.rows, problems);
  }
  for (const table of projections.flatMap(tablesOf)) if (!covered.has(table)) problems.push(`${table}: no feature of the test kit models it`);
  problems.push(...(await model.check(async (sql) => (await pool.query<{ n: number }>(sql)).rows[0]!.n)));
  return problems;
}

/**
 * (b) The read models equal a rebuild from scratch: every projection is replayed into fresh
 * `__verify` tables with its own code, and the row sets must match exactly (all columns, with
 * duplicates: EXCEPT ALL both ways). Call when nothing is being appended.
 */
export async function compareWithRebuild(pool: pg.Pool, eventStore: EventStore): Promise<string[]> {
  const problems: string[] = [];
  for (const projection of projections) {
    const shadow = await buildShadow(pool, eventStore, projection, { suffix: "__verify" });
    try {
      for (const table of tablesOf(projection)) {
        const verify = ident(shadow.tables[table]!);
        const live = ident(table);
        const { rows } = await pool.query<{ only_live: number; only_rebuilt: number; live: number; rebuilt: number }>(
          `SELECT (SELECT count(*) FROM (SELECT * FROM ${live} EXCEPT ALL SELECT * FROM ${verify}) d)::int AS only_live,
                  (SELECT count(*) FROM (SELECT * FROM ${verify} EXCEPT ALL SELECT * FROM ${live}) d)::int AS only_rebuilt,
                  (SELECT count(*) FROM ${live})::int AS live, (SELECT count(*) FROM ${verify})::int AS rebuilt`,
        );
        const r = rows[0]!;
        if (r.only_live > 0 || r.only_rebuilt > 0) {
          problems.push(`${table}: ${r.only_live} of ${r.live} live rows and ${r.only_rebuilt} of ${r.rebuilt} rebuilt rows differ`);
        }
      }
    } finally {
      await dropShadow(pool, projection, "__verify");
    }
  }
  return problems;
}

const STATE_SQL = `SELECT (SELECT json_agg(json_build_array(projection, lane, transaction_id::text || '/' || position::text, events_processed) ORDER BY projection, lane) FROM projection_lanes) AS lanes,
        (SELECT json_agg(json_build_array(name, status, version, lanes) ORDER BY name) FROM projections) AS projections,
        (SELECT e.transaction_id::text || '/' || e.position::text FROM events e ORDER BY e.transaction_id DESC, e.position DESC LIMIT 1) AS head,
        (SELECT count(*) FROM events) AS events,
        (SELECT count(*) FROM family_views v WHERE v.version <> (SELECT max(stream_version) FROM events e WHERE e.tenant_id = v.tenant_id AND e.stream_id = v.family_id)) AS stale_families`;

/** Both equalities, with at most 20 problems listed. */
export async function verifyReadModels(pool: pg.Pool, eventStore: EventStore, model: ExpectedModel): Promise<void> {
  // The state before and after comparing tells "behind" from "wrong" when something fails.
  const { rows: before } = await pool.query(STATE_SQL);
  const modelProblems = await compareWithModel(pool, model);
  const rebuildProblems = await compareWithRebuild(pool, eventStore);
  const problems = [...rebuildProblems, ...modelProblems];
  if (problems.length > 0) {
    const { rows: after } = await pool.query(STATE_SQL);
    const again = await compareWithModel(pool, model);
    throw new Error(
      `read models are wrong (${modelProblems.length} problems against the model, ${rebuildProblems.length} against a rebuild; model: ${model.accepted} accepted commands; ` +
        `state before ${JSON.stringify(before[0])}; after ${JSON.stringify(after[0])}; ` +
        `compared with the model again: ${again.length} problems):\n  ${problems.slice(0, 20).join("\n  ")}`,
    );
  }
}

/**
 * With COOP_APPLY_AUDIT: per projection and stream, the events that took effect (committed) were
 * each of the events it wants exactly once, in stream order. Returns the problems found.
 */
export async function compareAppliedWithLog(pool: pg.Pool, eventStore: EventStore, auditTable: string): Promise<string[]> {
  const problems: string[] = [];
  const { rows } = await pool.query<{ projection: string; tenant_id: string; stream_id: string; versions: number[] }>(
    `SELECT projection, tenant_id, stream_id, array_agg(stream_version ORDER BY seq) AS versions FROM ${ident(auditTable)} GROUP BY 1, 2, 3`,
  );
  const applied = new Map<string, number[]>();
  for (const row of rows) {
    applied.set(`${row.projection} ${row.tenant_id}/${row.stream_id}`, row.versions);
    for (let i = 1; i < row.versions.length; i++) {
      if (row.versions[i]! <= row.versions[i - 1]!) {
        problems.push(`${row.projection} ${row.tenant_id}/${row.stream_id}: took effect out of order or twice: versions ${row.versions.join(", ")}`);
        break;
      }
    }
  }
  // Every event a projection wants, from the log itself.
  const wanted = new Map<string, number[]>();
  let after = START;
  for (;;) {
    const events = await eventStore.readAll(after, 5_000, { raw: true });
    if (events.length === 0) break;
    for (const e of events) {
      for (const p of projections) {
        if (!wants(p, e)) continue;
        const key = `${p.name} ${e.tenantId}/${e.streamId}`;
        wanted.set(key, [...(wanted.get(key) ?? []), e.streamVersion]);
      }
    }
    const last = events[events.length - 1]!;
    after = { transactionId: last.transactionId, position: last.position };
  }
  for (const [key, versions] of wanted) {
    const got = applied.get(key) ?? [];
    if (!isDeepStrictEqual(got, versions)) problems.push(`${key}: wanted versions ${versions.join(", ")}, took effect ${got.join(", ") || "none"}`);
  }
  for (const key of applied.keys()) if (!wanted.has(key)) problems.push(`${key}: took effect but wants nothing of it`);
  return problems;
}
