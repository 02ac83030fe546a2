import { describe, expect, it } from "vitest";
import type { SchemaReference } from "@coop/database";
import { indexTable, parseColumn, tableSchemaDrift } from "./schema-drift";

const reference: SchemaReference = {
  sql: `-- CreateTable
CREATE TABLE "notes" (
    "tenant_id" TEXT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "notes_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "other" (
    "tenant_id" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "notes_body_idx" ON "notes"("body");
`,
  snapshot: new Map([
    ["relation notes", "table"],
    ["column notes.tenant_id", "text NOT NULL"],
    ["column notes.body", "text NOT NULL DEFAULT ''::text"],
    ["column notes.size", "integer NOT NULL DEFAULT 0"],
    ["constraint notes.notes_pkey", "PRIMARY KEY (tenant_id)"],
    ["index notes_pkey", "CREATE UNIQUE INDEX notes_pkey ON notes USING btree (tenant_id)"],
    ["index notes_body_idx", "CREATE INDEX notes_body_idx ON notes USING btree (body)"],
    ["relation other", "table"],
    ["index other_idx", "CREATE INDEX other_idx ON other USING btree (tenant_id)"],
  ]),
};

describe("parseColumn and indexTable", () => {
  it("read snapshotSchema's forms", () => {
    expect(parseColumn("timestamp(6) with time zone NOT NULL DEFAULT now()")).toEqual({
      type: "timestamp(6) with time zone",
      notNull: true,
      identity: null,
      generated: false,
      collate: null,
      default: "now()",
    });
    expect(parseColumn('"RiskTier" NULL')).toMatchObject({ type: '"RiskTier"', notNull: false, default: null });
    expect(indexTable("CREATE INDEX a ON family_views USING gin (search_text gin_trgm_ops)")).toBe("family_views");
    expect(indexTable('CREATE UNIQUE INDEX "A b" ON ONLY "Odd ""t""" USING btree (x)')).toBe('Odd "t"');
  });
});

describe("tableSchemaDrift", () => {
  it("finds nothing when the table matches", () => {
    expect(tableSchemaDrift("notes", new Map(reference.snapshot), reference)).toEqual([]);
  });

  it("repairs a missing table with Prisma's own statements for it, and only it", () => {
    const actual = new Map([...reference.snapshot].filter(([key]) => !key.includes("notes")));
    const [drift, ...rest] = tableSchemaDrift("notes", actual, reference);
    expect(rest).toEqual([]);
    expect(drift!.what).toMatch(/is missing/);
    expect(drift!.repair).toEqual([
      `CREATE TABLE "notes" (\n    "tenant_id" TEXT NOT NULL,\n    "body" TEXT NOT NULL DEFAULT '',\n\n    CONSTRAINT "notes_pkey" PRIMARY KEY ("tenant_id")\n);`,
      `CREATE INDEX "notes_body_idx" ON "notes"("body");`,
    ]);
  });

  it("repairs columns, keys and indexes one by one; a key's index through its constraint", () => {
    const actual = new Map(reference.snapshot);
    actual.delete("column notes.size");
    actual.set("column notes.body", "character varying(10) NULL");
    actual.set("column notes.extra", "text NULL");
    actual.delete("constraint notes.notes_pkey");
    actual.delete("index notes_pkey");
    actual.set("index notes_body_idx", "CREATE INDEX notes_body_idx ON notes USING hash (body)");
    actual.set("index notes_stray_idx", "CREATE INDEX notes_stray_idx ON notes USING btree (body)");
    expect(tableSchemaDrift("notes", actual, reference).map((d) => d.repair)).toEqual([
      [`ALTER TABLE "notes" ALTER COLUMN "body" TYPE text USING "body"::text;`, `ALTER TABLE "notes" ALTER COLUMN "body" SET DEFAULT ''::text;`, `ALTER TABLE "notes" ALTER COLUMN "body" SET NOT NULL;`],
      [`ALTER TABLE "notes" DROP COLUMN "extra";`],
      [`ALTER TABLE "notes" ADD COLUMN "size" integer DEFAULT 0 NOT NULL;`],
      [`ALTER TABLE "notes" ADD CONSTRAINT "notes_pkey" PRIMARY KEY (tenant_id);`],
      ["DROP INDEX \"notes_body_idx\";", "CREATE INDEX notes_body_idx ON notes USING btree (body);"],
      ["DROP INDEX \"notes_stray_idx\";"],
    ]);
  });

  it("says so, without SQL, when a declared table is not in schema.prisma", () => {
    expect(tableSchemaDrift("ghost", new Map([["relation ghost", "table"]]), reference)).toEqual([
      { subject: "ghost", what: "is declared by a projection but schema.prisma has no such table: add its model", repair: [] },
    ]);
  });
});
