import type pg from "pg";

/** A quoted SQL identifier (table or column). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A column of a bulk statement: its name and the PostgreSQL type of its values. */
export interface Column {
  name: string;
  /** e.g. `text`, `uuid`, `int`, `bigint`, `date`, `jsonb`, `timestamptz`, `"RiskTier"`. */
  type: string;
}

/** The key of every read-model row about one family: its tenant and its id (the stream). */
export const FAMILY_KEY: readonly Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "family_id", type: "uuid" },
];

const statementNames = new Map<string, string>();

/**
 * A read-model statement as a named prepared statement: each connection parses and plans it once,
 * then only binds and executes it (the texts are few: one per table and shape, whatever the rows).
 * After a rebuild's swap PostgreSQL re-resolves the table names by itself.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `rm_${statementNames.size.toString(36)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

/** Row-major values to one array per column, as unnest() wants them. */
export function toColumns(columns: readonly Column[], rows: readonly (readonly unknown[])[]): unknown[][] {
  const arrays = columns.map(() => new Array<unknown>(rows.length));
  rows.forEach((row, r) => {
    if (row.length !== columns.length) throw new Error(`row ${r} has ${row.length} values for ${columns.length} columns`);
    for (let c = 0; c < columns.length; c++) arrays[c]![r] = row[c];
  });
  return arrays;
}

/** `unnest($n::type[], ...) AS u(columns)`: rows passed as one array per column, from parameter `firstParam`. */
export function unnestSource(columns: readonly Column[], firstParam = 1): string {
  const args = columns.map((c, i) => `$${i + firstParam}::${c.type}[]`).join(", ");
  return `unnest(${args}) AS u(${columns.map((c) => ident(c.name)).join(", ")})`;
}

/**
 * One multi-row INSERT ... ON CONFLICT for any number of rows: one round trip per batch, not per
 * event. `set` maps each updated column to its expression (EXCLUDED.x to replace, or an
 * increment such as `t.x + EXCLUDED.x`, where `t` is the table's alias). Keys must be unique
 * within `rows` (PostgreSQL refuses to update one row twice in a statement).
 */
export async function upsertRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly Column[],
  rows: readonly (readonly unknown[])[],
  conflict: readonly string[],
  set: Readonly<Record<string, string>>,
): Promise<void> {
  if (rows.length === 0) return;
  const assignments = Object.entries(set).map(([column, expression]) => `${ident(column)} = ${expression}`);
  const text =
    `INSERT INTO ${ident(table)} AS t (${columns.map((c) => ident(c.name)).join(", ")}) ` +
    `SELECT * FROM ${unnestSource(columns)} ` +
    `ON CONFLICT (${conflict.map(ident).join(", ")}) ` +
    (assignments.length ? `DO UPDATE SET ${assignments.join(", ")}` : "DO NOTHING");
  await client.query(prepared(text, toColumns(columns, rows)));
}

/** EXCLUDED.col for every non-key column: the row is replaced as a whole. */
export function replaceAll(columns: readonly Column[], keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(columns.filter((c) => !keys.includes(c.name)).map((c) => [c.name, `EXCLUDED.${ident(c.name)}`]));
}

/** Rows whose key is among `keys`, in one query. */
export async function selectByKeys<R extends pg.QueryResultRow>(
  client: pg.ClientBase,
  table: string,
  selectList: string,
  keyColumns: readonly Column[],
  keys: readonly (readonly unknown[])[],
): Promise<R[]> {
  if (keys.length === 0) return [];
  const keyList = keyColumns.map((c) => ident(c.name)).join(", ");
  const text = `SELECT ${selectList} FROM ${ident(table)} WHERE (${keyList}) IN (SELECT * FROM ${unnestSource(keyColumns)})`;
  const result = await client.query<R>(prepared(text, toColumns(keyColumns, keys)));
  return result.rows;
}

/** Deletes the rows whose key is among `keys`, in one statement. */
export async function deleteByKeys(
  client: pg.ClientBase,
  table: string,
  keyColumns: readonly Column[],
  keys: readonly (readonly unknown[])[],
): Promise<void> {
  if (keys.length === 0) return;
  const keyList = keyColumns.map((c) => ident(c.name)).join(", ");
  await client.query(prepared(`DELETE FROM ${ident(table)} WHERE (${keyList}) IN (SELECT * FROM ${unnestSource(keyColumns)})`, toColumns(keyColumns, keys)));
}
