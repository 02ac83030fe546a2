// `pnpm projections drift` on a migrated database: nothing to report; then an index and a policy
// dropped (and a few other faults) are each reported with the SQL that repairs them, exit 1, and
// `drift --apply` repairs them all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, READER_ROLE } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import type pg from "pg";
import { runProjectionsCli } from "../test-kit/cli";
import type { WorkerEnv } from "../test-kit/workers";

let db: TestDatabase;
let pool: pg.Pool;
let env: WorkerEnv;

beforeAll(async () => {
  db = await createTestDatabase("coop_test_worker_drift");
  pool = createPool(db.url, { max: 2, application_name: "drift-test", onError: () => undefined });
  env = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL || "redis://127.0.0.1:6379", QUEUE_PREFIX: "coop-test-drift-unused" };
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function catalog(): Promise<{ index: boolean; policy: boolean; forced: boolean; insert: boolean; commands: boolean }> {
  const { rows } = await pool.query(
    `SELECT to_regclass('family_views_name_idx') IS NOT NULL AS index,
            EXISTS (SELECT 1 FROM pg_policies WHERE tablename = 'at_risk_families' AND policyname = 'tenant_readers') AS policy,
            (SELECT relforcerowsecurity FROM pg_class WHERE relname = 'payment_months') AS forced,
            has_table_privilege($1, 'family_comments', 'INSERT') AS insert,
            has_table_privilege($1, 'commands', 'SELECT') AS commands`,
    [READER_ROLE],
  );
  return rows[0];
}

describe("pnpm projections drift", () => {
  it("finds nothing on a freshly migrated database, run as CI runs it (production, no secrets: drift reads no event data)", async () => {
    const result = await runProjectionsCli(["drift"], { ...env, NODE_ENV: "production", JWT_SECRET: "", DATA_KEY_SECRET: "" });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^no drift: 10 tables and 1 search view\(s\) match schema\.prisma .* and the access declarations/m);
  });

  it("reports a dropped index and a dropped policy with the SQL that repairs them, and --apply repairs them", async () => {
    await pool.query(`DROP INDEX family_views_name_idx;
      DROP POLICY tenant_readers ON at_risk_families;
      ALTER TABLE payment_months NO FORCE ROW LEVEL SECURITY;
      GRANT INSERT ON family_comments TO ${READER_ROLE};
      GRANT SELECT ON commands TO ${READER_ROLE};`);
    expect(await catalog()).toEqual({ index: false, policy: false, forced: false, insert: true, commands: true });

    const found = await runProjectionsCli(["drift"], env);
    expect(found.code, `${found.stdout}\n${found.stderr}`).toBe(1);
    const out = found.stdout;
    expect(out).toMatch(/^5 difference\(s\)/m);
    expect(out).toContain("family_views: index family_views_name_idx is missing (schema.prisma: CREATE INDEX family_views_name_idx ON family_views USING btree (tenant_id, family_name))");
    expect(out).toContain("    CREATE INDEX family_views_name_idx ON family_views USING btree (tenant_id, family_name);");
    expect(out).toMatch(/^at_risk_families: policy tenant_readers is missing \(declared: PERMISSIVE FOR SELECT TO coop_reader USING .*'\{admin,coordinator\}'::text\[\]/m);
    expect(out).toContain(`    CREATE POLICY "tenant_readers" ON "at_risk_families" AS PERMISSIVE FOR SELECT TO "coop_reader"`);
    expect(out).toContain(`payment_months: does not force row-level security`);
    expect(out).toContain(`    ALTER TABLE "payment_months" FORCE ROW LEVEL SECURITY;`);
    expect(out).toContain(`    REVOKE INSERT ON "family_comments" FROM "coop_reader";`);
    expect(out).toContain(`commands: coop_reader holds SELECT on it, which it must not read`);
    expect(out).toContain("repair with: pnpm projections drift --apply");
    // Reporting changed nothing.
    expect(await catalog()).toEqual({ index: false, policy: false, forced: false, insert: true, commands: true });

    const applied = await runProjectionsCli(["drift", "--apply"], env);
    expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);
    expect(applied.stdout).toMatch(/applied 6 statement\(s\); looking again/);
    expect(applied.stdout).toMatch(/^no drift:/m);
    expect(await catalog()).toEqual({ index: true, policy: true, forced: true, insert: false, commands: false });

    const again = await runProjectionsCli(["drift"], env);
    expect(again.code, again.stdout).toBe(0);
  });

  it("refuses a projection name and --apply elsewhere (usage, exit 2)", async () => {
    const named = await runProjectionsCli(["drift", "family-detail"], env);
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/drift takes no projection/);
    const misplaced = await runProjectionsCli(["status", "--apply"], env);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/--apply is for drift only/);
  });
});
