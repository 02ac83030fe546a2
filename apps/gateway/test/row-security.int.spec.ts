// The database as the second lock: the gateway reads as the reader role with the viewer's tenant
// and roles in the settings, so a query that forgot its tenant filter still sees only the token's
// tenant, and only the tables its roles may read. And a gateway whose reader role would not be
// confined refuses to start.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, READER_ROLE } from "@coop/database";
import type { ReadDeps } from "../src/context";
import type { Role } from "../src/auth/viewer";
import { ReaderRoleError } from "../src/reads/reader-role";
import { TenantReader, type ReadScope } from "../src/reads/tenant-reader";
import { M, Q, validInput } from "./support/operations";
import { startStack, type Stack } from "./support/stack";

/** Test-only read queries with no tenant filter at all, through the gateway's own read path. */
class UnfilteredQueries {
  private readonly reader: TenantReader;
  constructor({ reader }: ReadDeps) {
    this.reader = reader;
  }
  async tenantsOf(viewer: ReadScope, relation: string): Promise<string[]> {
    const rows = await this.reader.rows<{ tenant: string }>(viewer, `SELECT DISTINCT tenant_id AS tenant FROM ${relation} ORDER BY 1`);
    return rows.map((r) => r.tenant);
  }
  async eventTenants(viewer: ReadScope): Promise<string[]> {
    const { rows } = await this.reader.transaction(viewer, (client) => client.query<{ tenant: string }>("SELECT DISTINCT tenant_id AS tenant FROM events ORDER BY 1"));
    return rows.map((r) => r.tenant);
  }
  run(viewer: ReadScope, sql: string): Promise<unknown[]> {
    return this.reader.rows(viewer, sql);
  }
  async whoAmI(viewer: ReadScope): Promise<string> {
    return (await this.reader.rows<{ user: string }>(viewer, "SELECT current_user AS user"))[0]!.user;
  }
}

let stack: Stack;
const tenantA = `t-rls-a-${randomUUID().slice(0, 8)}`;
const tenantB = `t-rls-b-${randomUUID().slice(0, 8)}`;
const today = new Date().toISOString().slice(0, 10);
const viewer = (tenantId: string, ...roles: Role[]): ReadScope => ({ tenantId, roles: new Set(roles) });

beforeAll(async () => {
  stack = await startStack("coop_test_gw_rls");
  // Events through the gateway (appends need no worker); read-model rows written straight in, as
  // the owner (a projector would), two of each tenant.
  for (const tenant of [tenantA, tenantB]) {
    const token = await stack.token(tenant, ["admin"]);
    const familyId = randomUUID();
    const result = await stack.gql(M.enrollFamily, { input: validInput("enrollFamily", familyId, today) }, { token });
    expect(result.body.errors).toBeUndefined();
    for (const n of [1, 2]) {
      await stack.pool.query(
        `INSERT INTO family_views (tenant_id, family_id, family_name, status, enrollment_date, parent_name, email, guardians, children, search_text, version, updated_at)
         VALUES ($1, gen_random_uuid(), $2, 'ENROLLED', '2026-01-01', 'P', 'p@example.com', '[]', '[]', $2, 1, now())`,
        [tenant, `Shared Name ${n}`],
      );
      await stack.pool.query(
        "INSERT INTO payment_months (tenant_id, month, payment_count, families_paid, revenue_cents, paid_on_time, paid_late, total_days_late, updated_at) VALUES ($1, $2::date, 1, 1, 100, 1, 0, 0, now())",
        [tenant, `2026-0${n}-01`],
      );
    }
  }
});

afterAll(async () => {
  await stack?.stop();
});

describe("reads through the gateway's read path", () => {
  it("run as the reader role", async () => {
    expect(await stack.gateway.services.read(UnfilteredQueries).whoAmI(viewer(tenantA, "admin"))).toBe(READER_ROLE);
  });

  it("see only the token's tenant when the query has no tenant filter", async () => {
    const unfiltered = stack.gateway.services.read(UnfilteredQueries);
    // The owner sees both tenants: the filter is not there.
    const { rows } = await stack.pool.query("SELECT DISTINCT tenant_id FROM family_views WHERE tenant_id = ANY($1)", [[tenantA, tenantB]]);
    expect(rows).toHaveLength(2);
    for (const tenant of [tenantA, tenantB]) {
      const admin = viewer(tenant, "admin");
      expect(await unfiltered.tenantsOf(admin, "family_views")).toEqual([tenant]);
      expect(await unfiltered.tenantsOf(admin, "family_views_search")).toEqual([tenant]);
      expect(await unfiltered.tenantsOf(admin, "payment_months")).toEqual([tenant]);
      expect(await unfiltered.eventTenants(admin)).toEqual([tenant]);
    }
  });

  it("see only the tables the token's roles may read", async () => {
    const unfiltered = stack.gateway.services.read(UnfilteredQueries);
    const finance = viewer(tenantA, "finance");
    const coordinator = viewer(tenantA, "coordinator");
    expect(await unfiltered.tenantsOf(finance, "family_views")).toEqual([tenantA]);
    expect(await unfiltered.tenantsOf(finance, "payment_months")).toEqual([tenantA]);
    expect(await unfiltered.eventTenants(finance)).toEqual([]); // familyHistory: coordinator, admin
    expect(await unfiltered.tenantsOf(coordinator, "payment_months")).toEqual([]); // analytics: finance, admin
    expect(await unfiltered.eventTenants(coordinator)).toEqual([tenantA]);
    expect(await unfiltered.tenantsOf(viewer(tenantA), "family_views")).toEqual([]); // no roles at all
  });

  it("may not read what is not declared, nor write anything", async () => {
    const unfiltered = stack.gateway.services.read(UnfilteredQueries);
    const admin = viewer(tenantA, "admin");
    for (const sql of ["SELECT * FROM commands", "SELECT * FROM snapshots", "SELECT * FROM projections", "SELECT * FROM leases"]) {
      await expect(unfiltered.run(admin, sql), sql).rejects.toMatchObject({ code: "42501" });
    }
    await expect(unfiltered.run(admin, "DELETE FROM family_views")).rejects.toMatchObject({ code: "42501" });
    expect(await unfiltered.tenantsOf(admin, "family_views")).toEqual([tenantA]);
  });

  it("answer the GraphQL queries as before: a search of a name both tenants hold finds the token's families only", async () => {
    const token = await stack.token(tenantB, ["finance"]);
    const found = await stack.gql<{ searchFamilies: { familyName: string }[] }>(Q.searchFamilies, { term: "shared name" }, { token });
    expect(found.body.errors).toBeUndefined();
    expect(found.body.data!.searchFamilies.map((f) => f.familyName)).toEqual(["Shared Name 1", "Shared Name 2"]);
    const months = await stack.gql<{ paymentAnalytics: { month: string }[] }>(Q.paymentAnalytics, { from: "2026-01-01", to: "2026-12-31" }, { token });
    expect(months.body.data!.paymentAnalytics.map((m) => m.month)).toEqual(["2026-02-01", "2026-01-01"]);
  });
});

describe("the tenant reader on one connection", () => {
  it("prepares each statement once, leaves no setting behind, and recovers from a failed read", async () => {
    const pool = createPool(stack.db.url, { max: 1, settings: { role: READER_ROLE }, onError: () => undefined });
    try {
      const reader = new TenantReader(pool);
      const count = "SELECT count(*)::int AS n FROM family_views WHERE tenant_id = $1";
      for (let i = 0; i < 3; i++) expect(await reader.rows(viewer(tenantA, "admin"), count, [tenantA])).toEqual([{ n: 2 }]);
      const statements = await reader.rows<{ name: string; statement: string }>(viewer(tenantA, "admin"), "SELECT name, statement FROM pg_prepared_statements ORDER BY name");
      expect(statements.map((s) => s.name)).toEqual(["coop_read_1", "coop_read_2", "coop_read_scope"]);
      // The same session, outside the reader: the settings were local to each read's transaction.
      const { rows } = await pool.query("SELECT current_user AS user, coalesce(current_setting('app.tenant_id', true), '') AS tenant, (SELECT count(*)::int FROM family_views) AS n");
      expect(rows).toEqual([{ user: READER_ROLE, tenant: "", n: 0 }]);
      await expect(reader.rows(viewer(tenantA, "admin"), "DELETE FROM family_views")).rejects.toMatchObject({ code: "42501" });
      expect(await reader.rows(viewer(tenantB, "finance"), count, [tenantB])).toEqual([{ n: 2 }]);
      expect(await reader.rows(viewer(tenantB, "finance"), count, [tenantA])).toEqual([{ n: 0 }]);
    } finally {
      await pool.end();
    }
  });

  it("runs a role check that could not run at start-up before its first read, until it passes once", async () => {
    const pool = createPool(stack.db.url, { max: 1, settings: { role: READER_ROLE }, onError: () => undefined });
    try {
      let calls = 0;
      const check = async () => {
        calls++;
        if (calls === 1) throw new Error("PostgreSQL unreachable");
        if (calls === 2) throw new ReaderRoleError("DATABASE_READER_ROLE names the role \"x\", which has BYPASSRLS");
      };
      const reader = new TenantReader(pool, "reader", check);
      const read = () => reader.rows(viewer(tenantA, "admin"), "SELECT count(*)::int AS n FROM family_views");
      await expect(read()).rejects.toThrow(/unreachable/);
      await expect(reader.transaction(viewer(tenantA, "admin"), async () => 1)).rejects.toThrow(/has BYPASSRLS/);
      expect(await read()).toEqual([{ n: 2 }]);
      expect(await read()).toEqual([{ n: 2 }]);
      expect(calls).toBe(3);
    } finally {
      await pool.end();
    }
  });
});

describe("DATABASE_READER_ROLE", () => {
  it("a gateway refuses to start when the role is missing, bypasses row-level security, or is not the policies' role", async () => {
    await expect(stack.startGateway({}, { DATABASE_READER_ROLE: `coop_missing_${randomBytes(4).toString("hex")}` })).rejects.toThrow(/does not exist: apply the migrations/);
    await expect(stack.startGateway({}, { DATABASE_READER_ROLE: "postgres" })).rejects.toThrow(/is a superuser: row-level security would not apply/);
    const lone = `coop_test_lone_${process.pid}_${randomBytes(3).toString("hex")}`;
    await stack.pool.query(`CREATE ROLE ${lone} NOLOGIN`);
    try {
      await expect(stack.startGateway({}, { DATABASE_READER_ROLE: lone })).rejects.toThrow(/neither coop_reader nor a member of it/);
      await stack.pool.query(`GRANT ${READER_ROLE} TO ${lone}`);
      const gateway = await stack.startGateway({ readPoolSize: 1 }, { DATABASE_READER_ROLE: lone });
      const token = await stack.token(tenantA, ["finance"]);
      const res = await fetch(`${gateway.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: Q.searchFamilies, variables: { term: "shared" } }),
      });
      const body = (await res.json()) as { data: { searchFamilies: unknown[] } };
      expect(body.data.searchFamilies).toHaveLength(2);
      await gateway.close();
    } finally {
      await stack.pool.query(`DROP ROLE ${lone}`);
    }
  });
});
