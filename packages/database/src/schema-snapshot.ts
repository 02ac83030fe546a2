import pg from "pg";

/**
 * A database schema as a flat map, "kind name" -> definition, read from pg_catalog, for comparing
 * two databases. It covers what schema.prisma can express (tables, columns, keys, indexes, enums,
 * sequences, extensions, views); hand-written functions, triggers, grants and policies are out of scope.
 * Column order is left out on purpose: ALTER TABLE appends columns, a fresh CREATE TABLE does not.
 */
export type SchemaSnapshot = Map<string, string>;

const EXCLUDED_TABLE = "_prisma_migrations";

// $1 is the schema, $2 the excluded table; each query takes only the parameters it uses.
const queries: { kind: string; params: number; sql: string }[] = [
  {
    kind: "relation",
    params: 2,
    sql: `SELECT c.relname AS name,
                 concat_ws(' ', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table'
                   WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'foreign table' END,
                   CASE WHEN c.relpersistence = 'u' THEN 'unlogged' END,
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END) AS definition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname <> $2`,
  },
  {
    kind: "column",
    params: 2,
    sql: `SELECT c.relname || '.' || a.attname AS name,
                 concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                   CASE WHEN a.attidentity <> '' THEN 'IDENTITY ' || a.attidentity::text END,
                   CASE WHEN a.attgenerated <> '' THEN 'GENERATED' END,
                   CASE WHEN a.attcollation <> t.typcollation THEN 'COLLATE ' || co.collname END,
                   'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid)) AS definition
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_type t ON t.oid = a.atttypid
          LEFT JOIN pg_collation co ON co.oid = a.attcollation
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname <> $2
            AND a.attnum > 0 AND NOT a.attisdropped`,
  },
  {
    kind: "constraint",
    params: 2,
    sql: `SELECT c.relname || '.' || k.conname AS name, pg_get_constraintdef(k.oid) AS definition
          FROM pg_constraint k
          JOIN pg_class c ON c.oid = k.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname <> $2`,
  },
  {
    kind: "index",
    params: 2,
    sql: `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
          FROM pg_index x
          JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_class c ON c.oid = x.indrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname <> $2`,
  },
  {
    kind: "enum",
    params: 1,
    sql: `SELECT t.typname AS name, string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) AS definition
          FROM pg_type t
          JOIN pg_enum e ON e.enumtypid = t.oid
          JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname = $1
          GROUP BY t.typname`,
  },
  {
    kind: "sequence",
    params: 2,
    sql: `SELECT c.relname AS name,
                 concat_ws(' ', format_type(s.seqtypid, NULL), 'START', s.seqstart, 'INCREMENT', s.seqincrement,
                   'MIN', s.seqmin, 'MAX', s.seqmax, 'CACHE', s.seqcache, CASE WHEN s.seqcycle THEN 'CYCLE' END,
                   'OWNED BY ' || owner.relname || '.' || a.attname) AS definition
          FROM pg_sequence s
          JOIN pg_class c ON c.oid = s.seqrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          LEFT JOIN pg_class owner ON owner.oid = d.refobjid
          LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
          WHERE n.nspname = $1 AND coalesce(owner.relname, '') <> $2`,
  },
  {
    kind: "extension",
    params: 0,
    sql: `SELECT e.extname AS name, 'version ' || e.extversion || ' in ' || n.nspname AS definition
          FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`,
  },
];

export interface SnapshotOptions {
  /**
   * Whether views (and their columns) are included (default true). schema.prisma cannot describe a
   * view, so comparisons with it leave them out; the row-level security migration adds search views
   * that `pnpm projections drift` checks instead.
   */
  views?: boolean;
}

/** Reads the schema of one database (schema `public` by default), leaving out _prisma_migrations. */
export async function snapshotSchema(url: string, schema = "public", options: SnapshotOptions = {}): Promise<SchemaSnapshot> {
  const client = new pg.Client({ connectionString: url, application_name: "coop-schema-snapshot" });
  await client.connect();
  try {
    const snapshot: SchemaSnapshot = new Map();
    for (const { kind, params, sql } of queries) {
      const values = [schema, EXCLUDED_TABLE].slice(0, params);
      const { rows } = await client.query<{ name: string; definition: string }>(sql, values);
      for (const row of rows) snapshot.set(`${kind} ${row.name}`, normalise(row.definition, schema));
    }
    if (options.views === false) {
      const views = [...snapshot].filter(([key, definition]) => key.startsWith("relation ") && /^(materialized )?view\b/.test(definition)).map(([key]) => key.slice("relation ".length));
      for (const key of [...snapshot.keys()]) {
        if (views.some((view) => key === `relation ${view}` || key.startsWith(`column ${view}.`))) snapshot.delete(key);
      }
    }
    return new Map([...snapshot].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  } finally {
    await client.end();
  }
}

/** pg_get_indexdef qualifies the table ("ON public.events"); the schema name is not what we compare. */
function normalise(definition: string, schema: string): string {
  return definition.replace(new RegExp(` ON (ONLY )?${schema}\\.`, "g"), " ON $1");
}

/** Human-readable differences between two snapshots; empty when they match. */
export function compareSchemas(
  actual: SchemaSnapshot,
  expected: SchemaSnapshot,
  labels: { actual: string; expected: string } = { actual: "actual", expected: "expected" },
): string[] {
  const keys = [...new Set([...actual.keys(), ...expected.keys()])].sort();
  const differences: string[] = [];
  for (const key of keys) {
    const a = actual.get(key);
    const e = expected.get(key);
    if (a === e) continue;
    if (e === undefined) differences.push(`${key}: only in ${labels.actual}: ${a}`);
    else if (a === undefined) differences.push(`${key}: only in ${labels.expected}: ${e}`);
    else differences.push(`${key}:\n    ${labels.actual}:   ${a}\n    ${labels.expected}: ${e}`);
  }
  return differences;
}
