// The gateway's one way to read the read models and the event store: as the database's reader role
// (its pool's sessions switch to it at connection start: DATABASE_READER_ROLE), with the viewer's
// tenant and roles in the transaction-local settings that the row-level security policies read. The
// queries still filter by tenant themselves; the database is the second lock.
//
// Round trips are what this costs, so a read is one simple-protocol message: the settings and the
// statement, their parameters written in as literals (sql-literals.ts). PostgreSQL runs the
// statements of one such message as one implicit transaction, so the settings (set_config(..., true))
// hold for the statement and are gone when it ends, whatever the pooled session runs next. Both are
// prepared once per connection (SQL PREPARE, in the first message that needs them) and EXECUTEd
// after that: planning a query under row-level security costs more than running it.
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

/** The scope's roles as the setting holds them: sorted, comma-separated. */
function rolesOf(scope: ReadScope): string {
  const roles = [...new Set(scope.roles)].sort();
  for (const role of roles) if (!ROLE_NAME.test(role)) throw new Error(`not a role name: ${JSON.stringify(role)}`);
  return roles.join(",");
}

/** The statement that puts a scope in the settings, local to the transaction. */
export function scopeSettingsSql(scope: ReadScope): string {
  return `SELECT set_config('${TENANT_SETTING}', ${literal(scope.tenantId)}, true), set_config('${ROLES_SETTING}', ${literal(rolesOf(scope))}, true)`;
}

export interface ReadOptions {
  /**
   * Planned for its values on every call rather than prepared: for searches, whose best plan
   * depends on the term (a prepared statement's generic plan cannot know how selective it is).
   */
  planEachCall?: boolean;
}

const SCOPE_STATEMENT = "coop_read_scope";
const PREPARE_SCOPE = `PREPARE ${SCOPE_STATEMENT}(text, text) AS SELECT set_config('${TENANT_SETTING}', $1, true), set_config('${ROLES_SETTING}', $2, true)`;

export class TenantReader {
  /** A name for each statement text, the same on every connection. */
  private readonly names = new Map<string, string>();
  /** What each connection of the pool has prepared. */
  private readonly prepared = new WeakMap<pg.PoolClient, Set<string>>();

  /** The start-up check of the role, until it has passed once (it could not run at start-up). */
  private pendingCheck: (() => Promise<void>) | null;
  private checking: Promise<void> | null = null;

  /**
   * `check`: a check of the reader role still to be made before the first read (PostgreSQL was
   * unreachable when the gateway started); reads fail with its error until it passes.
   */
  constructor(
    private readonly pool: pg.Pool,
    readonly readAs: ReadAs = "reader",
    check: (() => Promise<void>) | null = null,
  ) {
    this.pendingCheck = check;
  }

  private async checked(): Promise<void> {
    const check = this.pendingCheck;
    if (check === null) return;
    this.checking ??= check().then(
      () => {
        this.pendingCheck = null;
      },
      (error: unknown) => {
        this.checking = null; // the next read tries again
        throw error;
      },
    );
    await this.checking;
  }

  /** The rows of one statement (`$n` placeholders, values in order), in one round trip. */
  async rows<R>(scope: ReadScope, sql: string, values: readonly SqlValue[] = [], options: ReadOptions = {}): Promise<R[]> {
    await this.checked();
    const client = await this.pool.connect();
    let failed = false;
    try {
      const prepared = this.prepared.get(client) ?? new Set<string>();
      const message: string[] = [];
      const preparing: string[] = [];
      if (this.readAs === "reader") {
        if (!prepared.has(SCOPE_STATEMENT)) {
          message.push(PREPARE_SCOPE);
          preparing.push(SCOPE_STATEMENT);
        }
        message.push(`EXECUTE ${SCOPE_STATEMENT}(${literal(scope.tenantId)}, ${literal(rolesOf(scope))})`);
      }
      if (options.planEachCall) {
        message.push(inlineParameters(sql, values));
      } else {
        const name = this.nameOf(sql);
        if (!prepared.has(name)) {
          message.push(`PREPARE ${name} AS ${sql}`);
          preparing.push(name);
        }
        message.push(values.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${values.map(literal).join(", ")})`);
      }
      const result = (await client.query(message.join(";\n"))) as unknown as pg.QueryResult | pg.QueryResult[];
      const results = Array.isArray(result) ? result : [result];
      if (results.length !== message.length) throw new Error("a read must be exactly one statement");
      for (const name of preparing) prepared.add(name);
      this.prepared.set(client, prepared);
      return results[results.length - 1]!.rows as R[];
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // After a failure the connection's prepared statements are not known for sure: drop it.
      client.release(failed);
    }
  }

  private nameOf(sql: string): string {
    let name = this.names.get(sql);
    if (name === undefined) {
      name = `coop_read_${this.names.size + 1}`;
      this.names.set(sql, name);
    }
    return name;
  }

  /**
   * Several statements in one read-only transaction under the scope, on one connection: for code
   * that runs its own queries (the event store's). Two round trips more than `rows`.
   */
  async transaction<T>(scope: ReadScope, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    await this.checked();
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
