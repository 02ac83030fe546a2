// The gateway's one way to read the read models and the event store: as the database's reader role
// (its pool's sessions switch to it at connection start: DATABASE_READER_ROLE), with the viewer's
// tenant and roles in the transaction-local settings that the row-level security policies read. The
// queries still filter by tenant themselves; the database is the second lock.
//
// Round trips are what this costs, so a read is one simple-protocol message: the settings and the
// statement, its parameters written in as literals (sql-literals.ts). PostgreSQL runs the statements
// of one such message as one implicit transaction, so the settings (set_config(..., true)) hold for
// the statement and are gone when it ends, whatever the pooled session runs next.
import type pg from "pg";
import { ROLES_SETTING, TENANT_SETTING } from "@coop/database";
import { inlineParameters, literal, type SqlValue } from "./sql-literals";

/** Whose rows a read may see: a viewer (its token's tenant and roles). */
export interface ReadScope {
  readonly tenantId: string;
  readonly roles: Iterable<string>;
}

/**
 * `reader`: the reader role under row-level security (the gateway). `owner`: the pool's own user and
 * the queries' tenant filter alone, without the settings; only the benchmark's baseline runs so.
 */
export type ReadAs = "reader" | "owner";

const ROLE_NAME = /^[a-z][a-z0-9_]*$/;

/** The statement that puts a scope in the settings, local to the transaction. */
export function scopeSettingsSql(scope: ReadScope): string {
  const roles = [...new Set(scope.roles)].sort();
  for (const role of roles) if (!ROLE_NAME.test(role)) throw new Error(`not a role name: ${JSON.stringify(role)}`);
  return `SELECT set_config('${TENANT_SETTING}', ${literal(scope.tenantId)}, true), set_config('${ROLES_SETTING}', ${literal(roles.join(","))}, true)`;
}

export class TenantReader {
  constructor(
    private readonly pool: pg.Pool,
    readonly readAs: ReadAs = "reader",
  ) {}

  /** The rows of one statement (`$n` placeholders, values in order), in one round trip. */
  async rows<R>(scope: ReadScope, sql: string, values: readonly SqlValue[] = []): Promise<R[]> {
    const statement = inlineParameters(sql, values);
    if (this.readAs === "owner") return (await this.pool.query(statement)).rows as R[];
    const results = (await this.pool.query(`${scopeSettingsSql(scope)};\n${statement}`)) as unknown as pg.QueryResult[];
    if (!Array.isArray(results) || results.length !== 2) throw new Error("a read must be exactly one statement");
    return results[1]!.rows as R[];
  }

  /**
   * Several statements in one read-only transaction under the scope, on one connection: for code
   * that runs its own queries (the event store's). Two round trips more than `rows`.
   */
  async transaction<T>(scope: ReadScope, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(this.readAs === "owner" ? "BEGIN READ ONLY" : `BEGIN READ ONLY;\n${scopeSettingsSql(scope)}`);
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollback: Error) => (broken = rollback));
      throw error;
    } finally {
      client.release(broken); // a connection that cannot roll back is not given to anyone else
    }
  }
}
