// `pnpm projections drift [--apply]`: every declared table (the projections' and the event store's)
// against what it should be: columns, keys and indexes as schema.prisma makes them, and row-level
// security as the access declarations make it (flags, policies, the reader role and its grants, the
// search views). Each difference comes with the SQL that repairs it; --apply runs that SQL.
import type pg from "pg";
import { schemaPrismaReference, schemaReferenceUnavailable, snapshotSchema, type SchemaReference, type TableAccess } from "@coop/database";
import { accessDrift } from "./access-drift";
import { tableSchemaDrift, type Drift } from "./schema-drift";

export type { Drift } from "./schema-drift";

export interface DriftOptions {
  /** The database's url (its schema is read with the same snapshot as the schema-parity test). */
  url: string;
  /** The reference for columns and indexes; built from schema.prisma when omitted, null to skip. */
  reference?: SchemaReference | null;
}

/** Every difference, in the order their repairs should run: tables and columns first, then access. */
export async function findDrift(pool: pg.Pool, tables: readonly TableAccess[], options: DriftOptions): Promise<Drift[]> {
  const { rows } = await pool.query<{ schema: string; name: string | null }>(
    "SELECT current_schema() AS schema, name FROM unnest($1::text[]) AS name WHERE to_regclass(quote_ident(name)) IS NOT NULL",
    [tables.map((t) => t.name)],
  );
  const schema = rows[0]?.schema ?? (await pool.query<{ schema: string }>("SELECT current_schema() AS schema")).rows[0]!.schema;
  const existing = new Set(rows.map((r) => r.name!));
  const drifts: Drift[] = [];
  const reference = options.reference === undefined ? await schemaPrismaReference() : options.reference;
  if (reference) {
    const actual = await snapshotSchema(options.url, schema, { views: false });
    for (const table of tables) drifts.push(...tableSchemaDrift(table.name, actual, reference));
  } else {
    for (const table of tables) if (!existing.has(table.name)) drifts.push({ subject: table.name, what: "is missing (run pnpm db:migrate)", repair: [] });
  }
  drifts.push(...(await accessDrift(pool, tables, existing)));
  return drifts;
}

/** Why columns and indexes cannot be compared here, or null when they can. */
export function schemaComparisonUnavailable(): string | null {
  return schemaReferenceUnavailable();
}

/**
 * Runs the repairs in one transaction (each statement waits at most `lockTimeoutMs` for a lock):
 * all of them or none.
 */
export async function applyRepairs(pool: pg.Pool, drifts: readonly Drift[], lockTimeoutMs = 5_000): Promise<number> {
  const statements = drifts.flatMap((d) => d.repair);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
    for (const statement of statements) {
      try {
        await client.query(statement);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n  while running: ${statement}`);
      }
    }
    await client.query("COMMIT");
    return statements.length;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The report: each difference, then the SQL that repairs it, indented. */
export function formatDrift(drifts: readonly Drift[]): string {
  return drifts
    .map((d) => {
      const sql = d.repair.length > 0 ? d.repair.map((s) => s.replace(/^/gm, "    ")).join("\n") : "    -- no SQL repairs this: see above";
      return `${d.subject}: ${d.what}\n${sql}`;
    })
    .join("\n");
}
