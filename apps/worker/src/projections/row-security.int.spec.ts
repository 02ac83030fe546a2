// Row-level security as the declarations say, straight in SQL as the reader role, over read models
// the worker projected from a workload of two tenants: without settings nothing; with a tenant and
// a role exactly that tenant's rows of the tables the role may read, and nothing of the others; no
// writes; nothing of the tables that are not declared.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { createPool, READER_ROLE } from "@coop/database";
import { randomSeed } from "../test-kit/random";
import { TestStack } from "../test-kit/stack";
import { generateWorkload } from "../test-kit/workload";
import { declaredTables } from "../runtime/registry";
import { projections } from "./projections";
import { ANY_ROLE } from "./types";

const TABLES = declaredTables(projections);
const UNDECLARED = ["commands", "snapshots", "unique_claims", "projections", "projection_lanes", "publisher_checkpoints", "dead_letters", "skipped_events", "leases", "worker_heartbeats", "_prisma_migrations"];

let stack: TestStack;
/** Sessions as the reader role, switched at connection start as the gateway's read pool does. */
let reader: pg.Pool;

beforeAll(async () => {
  stack = await TestStack.create("rls");
  reader = createPool(stack.db.url, { max: 2, application_name: "rls-test-reader", settings: { role: READER_ROLE }, onError: () => undefined });
  stack.startWorkers(1);
  await stack.waitForWorkers();
  await stack.run(generateWorkload({ seed: randomSeed(), families: 40, commands: 800 }));
  await stack.waitForHead();
});

afterAll(async () => {
  await reader?.end();
  await stack?.close();
});

/** The count of a relation's rows as the reader sees them under these settings (null: unset). */
async function readerCount(relation: string, settings: { tenant: string; roles: string } | null): Promise<number> {
  const set = settings ? `SELECT set_config('app.tenant_id', '${settings.tenant}', true), set_config('app.roles', '${settings.roles}', true);` : "";
  const results = (await reader.query(`${set} SELECT count(*)::int AS n FROM ${relation}`)) as unknown as pg.QueryResult<{ n: number }> | pg.QueryResult<{ n: number }>[];
  return (Array.isArray(results) ? results.at(-1)! : results).rows[0]!.n;
}

async function ownerCount(relation: string, tenant: string): Promise<number> {
  return (await stack.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${relation} WHERE tenant_id = $1`, [tenant])).rows[0]!.n;
}

describe("the reader role, straight in SQL", () => {
  it("is who the sessions are", async () => {
    expect((await reader.query("SELECT current_user AS u")).rows[0].u).toBe(READER_ROLE);
  });

  it("sees no row of any declared table without settings", async () => {
    for (const { name, searchView } of TABLES) {
      expect(await readerCount(name, null), name).toBe(0);
      if (searchView) expect(await readerCount(searchView, null), searchView).toBe(0);
    }
  });

  it("sees exactly its tenant's rows of the tables its role may read, and none of the others", async () => {
    for (const { name, readers, searchView } of TABLES) {
      for (const tenant of ["tenant-a", "tenant-b"]) {
        const all = await ownerCount(name, tenant);
        expect(all, `${name} has rows of ${tenant} (the test would prove nothing otherwise)`).toBeGreaterThan(0);
        for (const role of ANY_ROLE) {
          const expected = readers.includes(role) ? all : 0;
          expect(await readerCount(name, { tenant, roles: role }), `${name} as ${role} of ${tenant}`).toBe(expected);
          if (searchView) expect(await readerCount(searchView, { tenant, roles: role }), `${searchView} as ${role} of ${tenant}`).toBe(expected);
        }
        // A role among others is enough; rows of the other tenant stay out whatever the filter.
        expect(await readerCount(name, { tenant, roles: ANY_ROLE.join(",") }), name).toBe(all);
        const results = (await reader.query(
          `SELECT set_config('app.tenant_id', '${tenant}', true), set_config('app.roles', 'admin', true); SELECT DISTINCT tenant_id FROM ${name}`,
        )) as unknown as pg.QueryResult<{ tenant_id: string }>[];
        expect(results[1]!.rows, name).toEqual([{ tenant_id: tenant }]);
      }
      expect(await readerCount(name, { tenant: "tenant-unknown", roles: "admin" }), name).toBe(0);
      expect(await readerCount(name, { tenant: "tenant-a", roles: "" }), name).toBe(0);
      expect(await readerCount(name, { tenant: "", roles: "admin" }), name).toBe(0);
    }
  });

  it("can neither insert, update nor delete, and may not read what is not declared", async () => {
    for (const { name, searchView } of TABLES) {
      for (const sql of [`INSERT INTO ${name} DEFAULT VALUES`, `UPDATE ${name} SET tenant_id = tenant_id`, `DELETE FROM ${name}`, `TRUNCATE ${name}`]) {
        await expect(reader.query(sql), sql).rejects.toMatchObject({ code: "42501" });
      }
      if (searchView) await expect(reader.query(`DELETE FROM ${searchView}`), searchView).rejects.toMatchObject({ code: "42501" });
    }
    for (const table of UNDECLARED) {
      await expect(reader.query(`SELECT 1 FROM ${table} LIMIT 1`), table).rejects.toMatchObject({ code: "42501" });
    }
    // The owner's rows are untouched.
    expect(await ownerCount("family_views", "tenant-a")).toBeGreaterThan(0);
  });
});
