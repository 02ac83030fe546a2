// The schema that schema.prisma describes, as a snapshot to compare a database with: Prisma's own
// SQL from an empty database to schema.prisma (its diff engine, offline: scripts/migration-diff.mjs)
// applied to a scratch database on the same server, which is dropped afterwards. The schema-parity
// test and `pnpm projections drift` both measure against it.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { snapshotSchema, type SchemaSnapshot } from "./schema-snapshot";
import { createTestDatabase, dropStaleTestDatabases } from "./testing";

const DIFF_SCRIPT = new URL("../../../scripts/migration-diff.mjs", import.meta.url);
export const SCHEMA_FILE = fileURLToPath(new URL("../../../prisma/schema.prisma", import.meta.url));
const PREFIX = "coop_schema_reference";

export interface SchemaReference {
  /** Tables, columns, keys, indexes, enums... as schema.prisma makes them (no views: it cannot describe one). */
  snapshot: SchemaSnapshot;
  /** Prisma's SQL that creates them. */
  sql: string;
}

type Diff = (fromText: string | null, toText: string) => string;

/** Why the reference cannot be built here (a deployment image without the repository's scripts or dev tools), or null. */
export function schemaReferenceUnavailable(): string | null {
  if (!existsSync(fileURLToPath(DIFF_SCRIPT))) return `${fileURLToPath(DIFF_SCRIPT)} is missing`;
  if (!existsSync(SCHEMA_FILE)) return `${SCHEMA_FILE} is missing`;
  return null;
}

export async function schemaPrismaReference(schemaFile = SCHEMA_FILE): Promise<SchemaReference> {
  const missing = schemaReferenceUnavailable();
  if (missing) throw new Error(`cannot build the schema.prisma reference: ${missing} (run this from a checkout of the repository)`);
  const { diff } = (await import(/* @vite-ignore */ DIFF_SCRIPT.href)) as { diff: Diff };
  const sql = diff(null, readFileSync(schemaFile, "utf8"));
  await dropStaleTestDatabases(PREFIX).catch(() => []);
  const scratch = await createTestDatabase(PREFIX, { migrate: false });
  try {
    const client = new pg.Client({ connectionString: scratch.url, application_name: "coop-schema-reference" });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    return { snapshot: await snapshotSchema(scratch.url, "public", { views: false }), sql };
  } finally {
    await scratch.drop();
  }
}
