// The migrations must produce exactly the schema that schema.prisma describes. The reference is
// built by Prisma itself: its diff engine's SQL from an empty database to schema.prisma. Views are
// left out on both sides: schema.prisma cannot describe one (the row-level security migration's
// search views are checked by `pnpm projections drift`).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaPrismaReference } from "./schema-reference";
import { compareSchemas, snapshotSchema, type SchemaSnapshot } from "./schema-snapshot";
import { createTestDatabase, type TestDatabase } from "./testing";

const databases: TestDatabase[] = [];
let fromSchema: SchemaSnapshot;

async function run(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function database(migrated: boolean): Promise<TestDatabase> {
  const db = await createTestDatabase("coop_test_parity", { migrate: migrated });
  databases.push(db);
  return db;
}

function report(differences: string[]): string {
  return `migrated database (left) differs from schema.prisma (right) in ${differences.length} place(s):\n${differences.join("\n")}\n` +
    "Write a migration for the change: pnpm db:diff <name>";
}

beforeAll(async () => {
  fromSchema = (await schemaPrismaReference()).snapshot;
}, 120_000);

afterAll(async () => {
  for (const db of databases) await db.drop();
});

describe("schema parity", () => {
  it("a migrated database matches schema.prisma exactly", async () => {
    const migrated = await snapshotSchema((await database(true)).url, "public", { views: false });
    const differences = compareSchemas(migrated, fromSchema, { actual: "migrations", expected: "schema.prisma" });
    expect(differences, report(differences)).toEqual([]);

    // Not vacuous: both sides hold the event store, its keys and indexes.
    for (const snapshot of [migrated, fromSchema]) {
      expect(snapshot.get("relation events")).toBe("table");
      expect(snapshot.get("column events.position")).toBe("bigint NOT NULL DEFAULT nextval('events_position_seq'::regclass)");
      expect(snapshot.get("constraint events.events_pkey")).toBe("PRIMARY KEY (\"position\")");
      expect(snapshot.get("index events_transaction_position_idx")).toBe(
        "CREATE INDEX events_transaction_position_idx ON events USING btree (transaction_id, \"position\")",
      );
      expect(snapshot.get("index events_stream_version_key")).toContain("CREATE UNIQUE INDEX");
      expect(snapshot.get("enum ProjectionState")).toBe("RUNNING, REBUILDING, STOPPED, ERROR");
      expect(snapshot.get("extension plpgsql")).toBeDefined();
      expect(snapshot.size).toBeGreaterThan(50);
      expect([...snapshot.keys()].some((key) => key.includes("_prisma_migrations"))).toBe(false);
    }
  });

  it("the comparison catches a changed default, a dropped index and an extra column", async () => {
    const drifted = await database(true);
    await run(
      drifted.url,
      `ALTER TABLE projection_lanes ALTER COLUMN position SET DEFAULT 1;
       DROP INDEX events_transaction_position_idx;
       ALTER TABLE snapshots ADD COLUMN extra text;`,
    );
    const differences = compareSchemas(await snapshotSchema(drifted.url, "public", { views: false }), fromSchema, {
      actual: "migrations",
      expected: "schema.prisma",
    });
    expect(differences).toEqual([
      "column projection_lanes.position:\n    migrations:   bigint NOT NULL DEFAULT 1\n    schema.prisma: bigint NOT NULL DEFAULT 0",
      "column snapshots.extra: only in migrations: text NULL",
      "index events_transaction_position_idx: only in schema.prisma: " +
        "CREATE INDEX events_transaction_position_idx ON events USING btree (transaction_id, \"position\")",
    ]);
  });
});
