import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { currentRowSecurityMigration, newestRowSecurityMigration, writeRowSecurityMigration } from "./row-security-migration";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the row-level security migration", () => {
  it("the newest one in prisma/migrations is what the declarations give now (else: pnpm db:rls NAME)", () => {
    const newest = newestRowSecurityMigration();
    expect(newest, "no row-level security migration: run pnpm db:rls NAME").not.toBeNull();
    expect(newest!.script, `${newest!.name} differs from the access declarations: run pnpm db:rls NAME`).toBe(currentRowSecurityMigration());
  });

  it("covers the event store and every projection's tables, each with its readers", () => {
    const script = currentRowSecurityMigration();
    expect(script).toMatch(/ALTER TABLE "events" FORCE ROW LEVEL SECURITY;/);
    expect(script).toMatch(/CREATE POLICY "tenant_readers" ON "events" .*\n.*'\{admin,coordinator\}'::text\[\]\);/);
    expect(script).toMatch(/CREATE POLICY "tenant_readers" ON "payment_months" .*\n.*'\{admin,finance\}'::text\[\]\);/);
    expect(script).toMatch(/CREATE POLICY "tenant_readers" ON "family_views" .*\n.*'\{admin,coordinator,finance\}'::text\[\]\);/);
    // Nothing on the store's other tables nor the projections' bookkeeping.
    for (const table of ["commands", "snapshots", "unique_claims", "leases", "projections", "projection_lanes", "dead_letters"]) {
      expect(script).not.toContain(`"${table}"`);
    }
  });

  it("is written into a new timestamped folder in Prisma's layout", () => {
    const dir = mkdtempSync(join(tmpdir(), "coop-rls-"));
    scratch.push(dir);
    const file = writeRowSecurityMigration("tighten_access", new Date("2027-01-02T03:04:05Z"), dir);
    expect(file).toBe(join(dir, "20270102030405_tighten_access", "migration.sql"));
    expect(readFileSync(file, "utf8")).toBe(currentRowSecurityMigration());
    expect(newestRowSecurityMigration(dir)?.name).toBe("20270102030405_tighten_access");
    expect(() => writeRowSecurityMigration("Bad Name", new Date(), dir)).toThrow(/lower_snake_case/);
  });
});
