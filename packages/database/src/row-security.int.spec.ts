// The row-level security migration on a real server: the reader role made safely however many
// databases (and sessions) make it at once, and the writers unhindered when they are not superusers
// (a superuser skips row-level security altogether, so the other suites, run as postgres, cannot
// tell): the table's owner still reads and writes every row, while the reader sees its tenant only.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, withDatabase } from "./config";
import { connectMaintenance } from "./create-database";
import { migrate } from "./migrate";
import { READER_ROLE, readerRoleSql } from "./row-security";
import { reserveTestDatabase } from "./testing";

const suffix = `${process.pid}_${randomBytes(3).toString("hex")}`;
const owner = `coop_test_owner_${suffix}`;
const database = reserveTestDatabase("coop_test_rls_owner");
let admin: pg.Client;

function as(user: string, options: { role?: string } = {}): pg.Client {
  const url = new URL(withDatabase(databaseUrl(), database.name));
  url.username = user;
  url.password = "";
  const client = new pg.Client({ connectionString: url.toString(), options: options.role ? `-c role=${options.role}` : undefined });
  client.on("error", () => undefined);
  return client;
}

async function withClient<T>(client: pg.Client, work: (c: pg.Client) => Promise<T>): Promise<T> {
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  admin = await connectMaintenance(databaseUrl());
  // An owner that may create roles (so the migration can make and grant the reader role) but is no
  // superuser and has no BYPASSRLS: row-level security applies to it as to any production owner.
  await admin.query(`CREATE ROLE ${owner} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS`);
  await admin.query(`CREATE DATABASE ${database.name} OWNER ${owner}`);
  const url = new URL(database.url);
  url.username = owner;
  await migrate(url.toString(), { log: () => undefined });
}, 60_000);

afterAll(async () => {
  await database.drop().catch(() => undefined);
  await admin?.query(`DROP ROLE IF EXISTS ${owner}`).catch((error: Error) => console.warn(`could not drop ${owner}: ${error.message}`));
  await admin?.end();
});

describe("the reader role", () => {
  it("exists after the migration: no login, no superuser, no BYPASSRLS; the migrating user may switch to it", async () => {
    const { rows } = await admin.query(
      `SELECT rolcanlogin, rolsuper, rolbypassrls, pg_has_role($2, oid, 'MEMBER') AS switchable FROM pg_roles WHERE rolname = $1`,
      [READER_ROLE, owner],
    );
    expect(rows).toEqual([{ rolcanlogin: false, rolsuper: false, rolbypassrls: false, switchable: true }]);
  });

  it("is created once when two sessions make it at the same moment (roles are cluster-wide)", async () => {
    const role = `coop_test_reader_${suffix}`;
    const sessions = [new pg.Client({ connectionString: database.url }), new pg.Client({ connectionString: database.url })];
    try {
      for (const s of sessions) await s.connect();
      await sessions[0]!.query("BEGIN");
      await sessions[0]!.query(readerRoleSql(role));
      await sessions[1]!.query("BEGIN");
      // Waits on the first session's new role row, then finds the name taken: no error.
      let waited = true;
      const second = sessions[1]!.query(readerRoleSql(role)).finally(() => (waited = false));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(waited).toBe(true);
      await sessions[0]!.query("COMMIT");
      await second;
      await sessions[1]!.query("COMMIT");
      await sessions[1]!.query(readerRoleSql(role)); // and again, now that it exists
      const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1", [role]);
      expect(rows[0].n).toBe(1);
    } finally {
      for (const s of sessions) await s.end().catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});

describe("a non-superuser owner under forced row-level security", () => {
  const tenants = ["tenant-a", "tenant-b"];
  const family = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

  it("still appends, upserts, updates, deletes and reads every tenant's rows", async () => {
    await withClient(as(owner), async (c) => {
      const { rows: me } = await c.query("SELECT current_user AS user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser");
      expect(me).toEqual([{ user: owner, superuser: false }]);
      const { rows: flags } = await c.query("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname IN ('events', 'family_views')");
      expect(flags).toEqual([
        { relrowsecurity: true, relforcerowsecurity: true },
        { relrowsecurity: true, relforcerowsecurity: true },
      ]);
      for (const [i, tenant] of tenants.entries()) {
        await c.query(
          `INSERT INTO events (event_id, tenant_id, stream_id, stream_type, stream_version, event_type, schema_version, data, metadata, stream_hash)
           VALUES (gen_random_uuid(), $1, $2, 'Family', 1, 'FamilyEnrolled', 2, '{}', '{}', 1)`,
          [tenant, family(i)],
        );
        for (const name of ["first", "second"]) {
          // The projectors' upsert: INSERT ... ON CONFLICT DO UPDATE.
          await c.query(
            `INSERT INTO family_views (tenant_id, family_id, family_name, status, enrollment_date, parent_name, email, guardians, children, search_text, version, updated_at)
             VALUES ($1, $2, $3, 'ENROLLED', '2026-01-01', 'P', 'p@example.com', '[]', '[]', $3, 1, now())
             ON CONFLICT (tenant_id, family_id) DO UPDATE SET family_name = excluded.family_name, version = family_views.version + 1`,
            [tenant, family(i), name],
          );
        }
      }
      const { rows } = await c.query("SELECT tenant_id, family_name, version FROM family_views ORDER BY tenant_id");
      expect(rows).toEqual([
        { tenant_id: "tenant-a", family_name: "second", version: 2 },
        { tenant_id: "tenant-b", family_name: "second", version: 2 },
      ]);
      expect((await c.query("UPDATE family_views SET risk_score = 90")).rowCount).toBe(2);
      expect((await c.query("SELECT count(*)::int AS n FROM events")).rows[0].n).toBe(2);
    });
  });

  it("while the reader role, as the owner switches to it, sees its tenant's rows only, and writes nothing", async () => {
    await withClient(as(owner, { role: READER_ROLE }), async (c) => {
      expect((await c.query("SELECT current_user AS user")).rows[0].user).toBe(READER_ROLE);
      expect((await c.query("SELECT count(*)::int AS n FROM family_views")).rows[0].n).toBe(0);
      const [, scoped] = (await c.query(
        "SELECT set_config('app.tenant_id', 'tenant-b', true), set_config('app.roles', 'finance', true); SELECT tenant_id FROM family_views",
      )) as unknown as pg.QueryResult[];
      expect(scoped!.rows).toEqual([{ tenant_id: "tenant-b" }]);
      await expect(c.query("DELETE FROM family_views")).rejects.toMatchObject({ code: "42501" });
      await expect(c.query("SELECT count(*) FROM commands")).rejects.toMatchObject({ code: "42501" });
    });
    await withClient(as(owner), async (c) => {
      expect((await c.query("DELETE FROM family_views WHERE tenant_id = 'tenant-a'")).rowCount).toBe(1);
      expect((await c.query("SELECT count(*)::int AS n FROM family_views")).rows[0].n).toBe(1);
    });
  });
});
