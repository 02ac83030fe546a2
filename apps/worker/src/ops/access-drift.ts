// Row-level security of the declared tables against the access declarations: the reader role, its
// grants (SELECT on the declared tables and search views, nothing else), each table's flags (enabled,
// forced) and policies, and the search views. What the database should hold is written by the same
// functions as the migration (@coop/database's row-security.ts); to compare expressions as
// PostgreSQL prints them, the expected policy and view are made on temporary copies in a
// transaction that is rolled back.
import type pg from "pg";
import {
  OWNER_POLICY,
  ownerPolicySql,
  READER_POLICY,
  READER_ROLE,
  readerCondition,
  readerPolicySql,
  readerRoleSql,
  searchViewQuery,
  searchViewSql,
  type TableAccess,
} from "@coop/database";
import { ident } from "../projections/sql";
import type { Drift } from "./schema-drift";

type Db = pg.Pool | pg.ClientBase;

interface PolicyRow {
  name: string;
  permissive: boolean;
  command: string;
  roles: string[];
  qual: string | null;
  check: string | null;
}

const COMMANDS: Record<string, string> = { r: "SELECT", a: "INSERT", w: "UPDATE", d: "DELETE", "*": "ALL" };

function describePolicy(p: PolicyRow): string {
  return `${p.permissive ? "PERMISSIVE" : "RESTRICTIVE"} FOR ${COMMANDS[p.command] ?? p.command} TO ${p.roles.join(", ")} USING (${p.qual ?? "-"}) WITH CHECK (${p.check ?? "-"})`;
}

async function policiesOf(db: Db, table: string): Promise<PolicyRow[]> {
  const { rows } = await db.query<PolicyRow>(
    `SELECT polname AS name, polpermissive AS permissive, polcmd::text AS command,
            ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(polroles) AS r ORDER BY 1) AS roles,
            pg_get_expr(polqual, polrelid) AS qual, pg_get_expr(polwithcheck, polrelid) AS check
       FROM pg_policy WHERE polrelid = to_regclass($1) ORDER BY polname`,
    [ident(table)],
  );
  return rows;
}

/** The readers' condition and the search view's definition as PostgreSQL prints them for this table. */
async function expectedForms(pool: pg.Pool, table: TableAccess): Promise<{ qual: string; view: string | null }> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(`CREATE TEMP TABLE coop_drift_probe (LIKE ${ident(table.name)})`);
    await client.query(`CREATE POLICY probe ON pg_temp.coop_drift_probe FOR SELECT TO PUBLIC USING (${readerCondition(table.readers)})`);
    const [policy] = await policiesOf(client, "coop_drift_probe");
    let view: string | null = null;
    if (table.searchView) {
      await client.query(`CREATE TEMP VIEW coop_drift_probe_view AS ${searchViewQuery(table.name, table.readers)}`);
      view = (await client.query<{ def: string }>("SELECT pg_get_viewdef('pg_temp.coop_drift_probe_view'::regclass) AS def")).rows[0]!.def;
    }
    return { qual: policy!.qual!, view };
  } finally {
    await client.query("ROLLBACK").catch(() => undefined);
    client.release();
  }
}

/** The reader role itself: there, unable to log in or bypass row-level security, member of nothing, and usable by us. */
async function roleDrift(db: Db): Promise<{ drifts: Drift[]; exists: boolean }> {
  const { rows } = await db.query<{ exists: boolean; login: boolean; superuser: boolean; bypassrls: boolean; member: boolean; memberships: string[]; usage: boolean; schema: string; user: string }>(
    `SELECT r.oid IS NOT NULL AS exists, coalesce(r.rolcanlogin, false) AS login, coalesce(r.rolsuper, false) AS superuser,
            coalesce(r.rolbypassrls, false) AS bypassrls,
            r.oid IS NOT NULL AND pg_has_role(current_user, r.oid, 'MEMBER') AS member,
            ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1) AS memberships,
            r.oid IS NOT NULL AND has_schema_privilege(r.oid, current_schema(), 'USAGE') AS usage,
            current_schema() AS schema, current_user AS user
       FROM (SELECT 1) AS one LEFT JOIN pg_roles r ON r.rolname = $1`,
    [READER_ROLE],
  );
  const r = rows[0]!;
  const subject = `role ${READER_ROLE}`;
  if (!r.exists) return { drifts: [{ subject, what: "is missing", repair: [readerRoleSql()] }], exists: false };
  const drifts: Drift[] = [];
  if (r.login || r.superuser || r.bypassrls) {
    const flags = [r.login && "LOGIN", r.superuser && "SUPERUSER", r.bypassrls && "BYPASSRLS"].filter(Boolean).join(", ");
    drifts.push({ subject, what: `has ${flags}: it must not log in nor bypass row-level security`, repair: [`ALTER ROLE ${ident(READER_ROLE)} NOLOGIN NOSUPERUSER NOBYPASSRLS;`] });
  }
  if (!r.member) drifts.push({ subject, what: `cannot be switched to by ${r.user}, who runs the migrations and the application`, repair: [readerRoleSql()] });
  for (const role of r.memberships) {
    drifts.push({ subject, what: `is a member of ${role}, whose privileges it may use`, repair: [`REVOKE ${ident(role)} FROM ${ident(READER_ROLE)};`] });
  }
  if (!r.usage) drifts.push({ subject, what: `may not use schema ${r.schema}`, repair: [`GRANT USAGE ON SCHEMA ${ident(r.schema)} TO ${ident(READER_ROLE)};`] });
  return { drifts, exists: true };
}

/** The reader's privileges on every relation of the schema: SELECT on the declared ones, nothing on the rest. */
async function grantDrift(db: Db, readable: ReadonlySet<string>): Promise<Drift[]> {
  const { rows } = await db.query<{ name: string; privileges: string[] }>(
    `SELECT c.relname AS name, array_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL aclexplode(c.relacl) AS a
      WHERE n.nspname = current_schema() AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
      GROUP BY c.relname`,
    [READER_ROLE],
  );
  const held = new Map(rows.map((r) => [r.name, r.privileges]));
  const drifts: Drift[] = [];
  for (const name of [...new Set([...held.keys(), ...readable])].sort()) {
    const privileges = held.get(name) ?? [];
    const extra = privileges.filter((p) => !readable.has(name) || p !== "SELECT");
    const on = `ON ${ident(name)}`;
    if (readable.has(name) && !privileges.includes("SELECT")) {
      const { rows: exists } = await db.query("SELECT 1 FROM pg_class WHERE oid = to_regclass($1)", [ident(name)]);
      if (exists.length > 0) drifts.push({ subject: name, what: `${READER_ROLE} may not read it`, repair: [`GRANT SELECT ${on} TO ${ident(READER_ROLE)};`] });
    }
    if (extra.length > 0) {
      drifts.push({
        subject: name,
        what: `${READER_ROLE} holds ${extra.join(", ")} on it${readable.has(name) ? " (SELECT only)" : ", which it must not read"}`,
        repair: [readable.has(name) ? `REVOKE ${extra.join(", ")} ${on} FROM ${ident(READER_ROLE)};` : `REVOKE ALL ${on} FROM ${ident(READER_ROLE)};`],
      });
    }
  }
  return drifts;
}

/** One declared table (which exists): its flags, its two policies (and no others), its search view. */
async function tableAccessDrift(db: pg.Pool, table: TableAccess, roleExists: boolean): Promise<Drift[]> {
  const subject = table.name;
  const on = ident(table.name);
  const { rows } = await db.query<{ rls: boolean; forced: boolean; owner: string; tenant: boolean }>(
    `SELECT c.relrowsecurity AS rls, c.relforcerowsecurity AS forced, pg_get_userbyid(c.relowner)::text AS owner,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant
       FROM pg_class c WHERE c.oid = to_regclass($1)`,
    [on],
  );
  const t = rows[0]!;
  if (!t.tenant) return [{ subject, what: "has no tenant_id column: its rows cannot be confined to a tenant (fix the model, then pnpm db:rls)", repair: [] }];
  const drifts: Drift[] = [];
  if (!t.rls) drifts.push({ subject, what: "has row-level security disabled", repair: [`ALTER TABLE ${on} ENABLE ROW LEVEL SECURITY;`] });
  if (!t.forced) drifts.push({ subject, what: "does not force row-level security (its owner would skip the policies)", repair: [`ALTER TABLE ${on} FORCE ROW LEVEL SECURITY;`] });

  const forms = await expectedForms(db, table);
  const expected = new Map<string, { row: PolicyRow; create: string }>([
    [OWNER_POLICY, { row: { name: OWNER_POLICY, permissive: true, command: "*", roles: [t.owner], qual: "true", check: "true" }, create: ownerPolicySql(table.name, t.owner) }],
  ]);
  if (roleExists) {
    expected.set(READER_POLICY, {
      row: { name: READER_POLICY, permissive: true, command: "r", roles: [READER_ROLE], qual: forms.qual, check: null },
      create: readerPolicySql(table.name, table.readers),
    });
  }
  const actual = new Map((await policiesOf(db, table.name)).map((p) => [p.name, p]));
  for (const [name, { row, create }] of expected) {
    const found = actual.get(name);
    if (found && describePolicy(found) === describePolicy(row)) continue;
    drifts.push({
      subject,
      what: found ? `policy ${name} differs (database: ${describePolicy(found)}; declared: ${describePolicy(row)})` : `policy ${name} is missing (declared: ${describePolicy(row)})`,
      repair: [`DROP POLICY IF EXISTS ${ident(name)} ON ${on};`, create],
    });
  }
  for (const [name, found] of actual) {
    if (!expected.has(name) && !(name === READER_POLICY && !roleExists)) {
      drifts.push({ subject, what: `policy ${name} is not declared (${describePolicy(found)})`, repair: [`DROP POLICY ${ident(name)} ON ${on};`] });
    }
  }

  if (table.searchView) {
    const view = table.searchView;
    const { rows: views } = await db.query<{ kind: string; owner: string; definition: string | null; options: string[] | null }>(
      `SELECT relkind::text AS kind, pg_get_userbyid(relowner)::text AS owner, CASE WHEN relkind = 'v' THEN pg_get_viewdef(oid) END AS definition, reloptions AS options
         FROM pg_class WHERE oid = to_regclass($1)`,
      [ident(view)],
    );
    const v = views[0];
    const create = searchViewSql(view, table.name, table.readers).split("\n");
    const { rows: me } = await db.query<{ user: string }>("SELECT current_user AS user");
    const owned = me[0]!.user === t.owner ? [] : [`ALTER VIEW ${ident(view)} OWNER TO ${ident(t.owner)};`];
    const problems: string[] = [];
    if (!v) problems.push("is missing");
    else if (v.kind !== "v") problems.push(`is not a view (relkind ${v.kind}): drop it first`);
    else {
      const oneLine = (sql: string | null) => (sql ?? "").replace(/\s+/g, " ").trim();
      if (v.definition !== forms.view) problems.push(`differs from the declared view (database: ${oneLine(v.definition)} declared: ${oneLine(forms.view)})`);
      if (v.owner !== t.owner) problems.push(`is owned by ${v.owner}, not by ${t.owner}, the owner of ${table.name}`);
      if ((v.options ?? []).length > 0) problems.push(`has options (${v.options!.join(", ")}): a security barrier would keep searches off the trigram index`);
    }
    if (problems.length > 0) drifts.push({ subject: view, what: `search view of ${table.name} ${problems.join("; ")}`, repair: v && v.kind !== "v" ? [] : [...create, ...owned] });
  }
  return drifts;
}

/** Every difference of the access declarations' tables (those that exist) with the database. */
export async function accessDrift(db: pg.Pool, tables: readonly TableAccess[], existing: ReadonlySet<string>): Promise<Drift[]> {
  const { drifts, exists } = await roleDrift(db);
  for (const table of tables) if (existing.has(table.name)) drifts.push(...(await tableAccessDrift(db, table, exists)));
  if (exists) {
    const readable = new Set(tables.flatMap((t) => [t.name, ...(t.searchView ? [t.searchView] : [])]));
    drifts.push(...(await grantDrift(db, readable)));
  }
  return drifts;
}
