// Row-level security from the access declarations (CONTRACT section 7): each declared table is
// readable by the reader role only for rows of the tenant in `app.tenant_id`, and only when
// `app.roles` names one of the table's readers. The SQL comes from here alone: the migration
// generator (`pnpm db:rls`) writes it and the drift tool (`pnpm projections drift`) compares the
// database with it and repairs from it.

/** The role the gateway reads as: NOLOGIN, no BYPASSRLS, SELECT on the declared tables only. */
export const READER_ROLE = "coop_reader";
/** Transaction-local settings the reader's policies read. */
export const TENANT_SETTING = "app.tenant_id";
/** The viewer's roles, comma-separated. */
export const ROLES_SETTING = "app.roles";
/** The readers' policy of every declared table, for the reader role. */
export const READER_POLICY = "tenant_readers";
/**
 * The writers' policy of every declared table: FORCE ROW LEVEL SECURITY subjects the table's owner
 * to policies too, and the owner is who writes (projectors, the command bus, rebuilds, the CLI).
 */
export const OWNER_POLICY = "owner_writes";

/** A table and the token roles that may read its rows (of their own tenant). */
export interface TableAccess {
  name: string;
  readers: readonly string[];
  /**
   * A view of the table for substring search, read instead of the table by queries that filter
   * with ILIKE on a trigram index. Under row-level security PostgreSQL will not use that index for
   * ILIKE (the operator is not leakproof, so it may only see rows the policies let through), and a
   * search then reads every row of the tenant. The view, owned by the table's owner and so not
   * subject to the readers' policy, applies the very same condition as a plain WHERE, which the
   * planner may combine with the search's: the reader still sees only its tenant's rows.
   */
  searchView?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ROLE_WORD = /^[a-z][a-z0-9_]*$/;

function plainName(name: string): string {
  if (!IDENTIFIER.test(name) || name.length > 63) throw new Error(`"${name}" is not a plain lower-case identifier`);
  return name;
}

/** A plain lower-case identifier, double-quoted (table and role names are checked, never escaped). */
export function quoteName(name: string): string {
  return `"${plainName(name)}"`;
}

function rolesLiteral(readers: readonly string[]): string {
  if (readers.length === 0) throw new Error("a table needs at least one reader role");
  for (const role of readers) if (!ROLE_WORD.test(role)) throw new Error(`reader role "${role}" is not a plain lower-case word`);
  return `'{${[...new Set(readers)].sort().join(",")}}'::text[]`;
}

/**
 * The readers' condition. Each setting sits in its own `(SELECT ...)`, so the planner evaluates it
 * once per statement (an InitPlan) and still uses the tenant indexes. An unset setting reads as
 * NULL (or as '' once a transaction has set it locally): no rows, never an error.
 */
export function readerCondition(readers: readonly string[]): string {
  return (
    `tenant_id = (SELECT nullif(current_setting('${TENANT_SETTING}', true), '')) ` +
    `AND (SELECT string_to_array(nullif(current_setting('${ROLES_SETTING}', true), ''), ',')) && ${rolesLiteral(readers)}`
  );
}

export function readerPolicySql(table: string, readers: readonly string[], role = READER_ROLE): string {
  return `CREATE POLICY ${quoteName(READER_POLICY)} ON ${quoteName(table)} AS PERMISSIVE FOR SELECT TO ${quoteName(role)}\n  USING (${readerCondition(readers)});`;
}

/** The search view's definition (see TableAccess.searchView); `SELECT *` is expanded when it is created. */
export function searchViewQuery(table: string, readers: readonly string[]): string {
  return `SELECT * FROM ${quoteName(table)} WHERE ${readerCondition(readers)}`;
}

/**
 * Creates the search view, for the reader role only. Not a security barrier, on purpose: the
 * planner must be free to use the search's own conditions (our queries' ILIKE raises no error that
 * depends on a row, so nothing of another tenant can leak through it).
 */
export function searchViewSql(view: string, table: string, readers: readonly string[], role = READER_ROLE): string {
  return [
    `DROP VIEW IF EXISTS ${quoteName(view)};`,
    `CREATE VIEW ${quoteName(view)} AS ${searchViewQuery(table, readers)};`,
    `GRANT SELECT ON ${quoteName(view)} TO ${quoteName(role)};`,
  ].join("\n");
}

/** The owners' policy, for a named owner (the drift tool knows it). */
export function ownerPolicySql(table: string, owner: string): string {
  return `CREATE POLICY ${quoteName(OWNER_POLICY)} ON ${quoteName(table)} AS PERMISSIVE FOR ALL TO ${quoteName(owner)} USING (true) WITH CHECK (true);`;
}

/**
 * Creates the reader role unless it exists. Roles are cluster-wide: another database's migration
 * (tests make many databases on one server) or a DBA may have made it, even at the same moment, so
 * a duplicate is no error. Then the migrating user becomes a member, so that the application,
 * connecting as that user, may switch to it; a superuser is a member of every role already.
 */
export function readerRoleSql(role = READER_ROLE): string {
  const literal = `'${plainName(role)}'`;
  return `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal}) THEN
    BEGIN
      CREATE ROLE ${quoteName(role)} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN
        NULL; -- created meanwhile by another session
      WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'user % may not create roles: a DBA must create the reader role first', current_user
          USING HINT = format('CREATE ROLE ${role} NOLOGIN; GRANT ${role} TO %I;', current_user);
    END;
  END IF;
  IF NOT pg_has_role(current_user, ${literal}, 'MEMBER') THEN
    BEGIN
      GRANT ${quoteName(role)} TO CURRENT_USER;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE EXCEPTION 'user % may not grant itself the reader role: a DBA must grant it', current_user
        USING HINT = format('GRANT ${role} TO %I;', current_user);
    END;
  END IF;
END $$;`;
}

/**
 * Everything a migration needs, idempotent (running it twice changes nothing): the role; nothing
 * for it but USAGE on the schema and SELECT on the declared tables; on each declared table row-level
 * security enabled and forced, the readers' policy, and a policy for the table's owner.
 */
export function rowSecurityMigration(tables: readonly TableAccess[], role = READER_ROLE): string {
  const names = new Set<string>();
  for (const t of tables) {
    for (const name of [t.name, t.searchView].filter((n) => n !== undefined)) {
      if (names.has(name)) throw new Error(`"${name}" is declared twice`);
      names.add(name);
    }
  }
  const width = Math.max(...tables.map((t) => t.name.length));
  const views = tables.filter((t) => t.searchView).map((t) => `${t.searchView} (${t.name})`);
  const lines = [
    "-- Row-level security from the access declarations: generated by `pnpm db:rls` from the tables each",
    "-- projection declares (apps/worker/src/projections) and the event store's (EVENT_STORE_TABLES).",
    `-- A row is visible to ${role} only when its tenant_id equals the setting ${TENANT_SETTING} and the setting`,
    `-- ${ROLES_SETTING} (comma-separated) names one of the table's readers:`,
    ...tables.map((t) => `--   ${t.name.padEnd(width)}  ${[...t.readers].sort().join(", ")}`),
    "-- The table's owner (every writer: projectors, the command bus, rebuilds, the CLI) keeps reading",
    `-- and writing every row through a policy of its own (${OWNER_POLICY}).`,
    ...(views.length > 0 ? [`-- Search views, under the same condition (see TableAccess.searchView): ${views.join(", ")}.`] : []),
    "",
    `-- The reader role (cluster-wide: it may exist already).`,
    readerRoleSql(role),
    "",
    "-- Nothing for it but the schema and SELECT on the declared tables.",
    `DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM ${quoteName(role)}', current_schema());
  EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM ${quoteName(role)}', current_schema());
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${quoteName(role)}', current_schema());
END $$;`,
  ];
  for (const t of tables) {
    const table = quoteName(t.name);
    lines.push(
      "",
      `-- ${t.name}`,
      `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;`,
      `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;`,
      `DROP POLICY IF EXISTS ${quoteName(READER_POLICY)} ON ${table};`,
      readerPolicySql(t.name, t.readers, role),
      `GRANT SELECT ON ${table} TO ${quoteName(role)};`,
    );
    if (t.searchView) lines.push(`-- ${t.searchView}: ${t.name} for substring search, under the readers' condition (owned by the table's owner)`, searchViewSql(t.searchView, t.name, t.readers, role));
  }
  lines.push(
    "",
    "-- The owners' policies, for whoever owns each table.",
    `DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[${tables.map((t) => `'${t.name}'`).join(", ")}] LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', '${OWNER_POLICY}', t);
    EXECUTE format('CREATE POLICY %I ON %I AS PERMISSIVE FOR ALL TO %I USING (true) WITH CHECK (true)',
                   '${OWNER_POLICY}', t, (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = to_regclass(quote_ident(t))));
  END LOOP;
END $$;`,
    "",
  );
  return lines.join("\n");
}
