// The start-up check of DATABASE_READER_ROLE: a gateway whose reads would not be confined by
// row-level security, or could not run at all, refuses to start and says what to do.
import type pg from "pg";
import { READER_ROLE } from "@coop/database";

export class ReaderRoleError extends Error {
  override readonly name = "ReaderRoleError";
}

interface RoleRow {
  user: string;
  superuser: boolean | null;
  bypassrls: boolean | null;
  switchable: boolean | null;
  policies_apply: boolean | null;
}

/**
 * Throws ReaderRoleError when the role is missing, is a superuser or has BYPASSRLS (row-level
 * security would not apply), is neither the policies' role nor a member of it (every read would be
 * refused), or when DATABASE_URL's user may not switch to it. Connection errors pass through.
 */
export async function checkReaderRole(pool: pg.Pool, role: string): Promise<void> {
  const { rows } = await pool.query<RoleRow>(
    `SELECT current_user AS user, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
            pg_has_role(current_user, r.oid, 'MEMBER') AS switchable,
            pg_has_role(r.oid, (SELECT oid FROM pg_roles WHERE rolname = $2), 'USAGE') AS policies_apply
       FROM (SELECT 1) AS one LEFT JOIN pg_roles r ON r.rolname = $1`,
    [role, READER_ROLE],
  );
  const row = rows[0]!;
  const named = `DATABASE_READER_ROLE names the role "${role}"`;
  if (row.superuser === null) {
    throw new ReaderRoleError(
      `${named}, which does not exist: apply the migrations (pnpm db:migrate creates ${READER_ROLE}), or have a DBA create it (see the README)`,
    );
  }
  if (row.superuser || row.bypassrls) {
    throw new ReaderRoleError(`${named}, which ${row.superuser ? "is a superuser" : "has BYPASSRLS"}: row-level security would not apply to the gateway's reads`);
  }
  if (!row.policies_apply) {
    throw new ReaderRoleError(`${named}, which is neither ${READER_ROLE} nor a member of it: the row-level security policies and grants are for ${READER_ROLE} (GRANT ${READER_ROLE} TO ${role})`);
  }
  if (!row.switchable) {
    throw new ReaderRoleError(`${named}, but the user "${row.user}" of DATABASE_URL may not switch to it (GRANT ${role} TO ${row.user})`);
  }
}
