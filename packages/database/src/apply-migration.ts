import { randomUUID } from "node:crypto";
import type pg from "pg";
import { describeLockHolders, isLockTimeout, LockWaitExhausted, retryOnLockTimeout, type LockRetryPolicy, type RetryReport } from "./lock-retry";
import type { MigrateLogLevel, MigrationFile } from "./migrate";
import { MigrationError } from "./migration-error";
import { splitStatements, type ScriptStatement } from "./split-statements";

/**
 * Applies one migration script. A script that can run in a transaction runs in one, with its
 * finished `_prisma_migrations` row, so it is either applied and recorded or neither (our one
 * deliberate difference from Prisma). A script PostgreSQL refuses to run in a transaction
 * (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE and then using the value, VACUUM, ...) is
 * applied as `prisma migrate deploy` applies every script since prisma-engines #5767: statement by
 * statement, each committing on its own, between a started row and its finishing update. (Older
 * engines sent the whole script as one simple query, which PostgreSQL runs as one implicit
 * transaction unless it is a single statement.) Statements that wait too long for a lock are
 * retried (see lock-retry.ts).
 */

export interface MigrationSession {
  client: pg.Client;
  policy: LockRetryPolicy;
  log: (level: MigrateLogLevel, message: string) => void;
}

// 25001 active_sql_transaction: "... cannot run inside a transaction block".
// 55P04 unsafe_new_enum_value_usage: an enum value used in the transaction that added it.
const NEEDS_OWN_TRANSACTIONS = new Set(["25001", "55P04"]);

export async function applyMigration(session: MigrationSession, file: MigrationFile): Promise<void> {
  const startedAt = new Date();
  try {
    await retryOnLockTimeout(session.policy, retryReport(session, `migration ${file.name}`), () => applyInTransaction(session, file));
  } catch (error) {
    // Rolled back every time: nothing changed, so nothing is recorded and the next run starts afresh.
    if (error instanceof LockWaitExhausted) {
      throw new MigrationError(
        "P1002",
        `migration ${file.name} timed out waiting for table locks on all ${error.attempts} attempts ` +
          `(lock_timeout ${session.policy.timeoutMs} ms each). ${lockAdvice(error)} ` +
          "It was rolled back every time: nothing was applied or recorded, so the next run of the migrations starts again from it.",
      );
    }
    if (!NEEDS_OWN_TRANSACTIONS.has(codeOf(error))) {
      const message = applyErrorMessage(file, error);
      await recordFailure(session.client, file, startedAt, message);
      throw new MigrationError("P3018", message);
    }
    session.log(
      "info",
      `${file.name} cannot run in a transaction (${(error as Error).message}); applying its statements one at a time, as prisma migrate deploy does`,
    );
    await applyOutsideTransaction(session, file);
  }
}

async function applyInTransaction({ client, policy }: MigrationSession, file: MigrationFile): Promise<void> {
  const startedAt = new Date();
  await setLockTimeout(client, policy.timeoutMs);
  try {
    await client.query("BEGIN");
    // No parameters: pg uses the simple query protocol, which runs a multi-statement script.
    // (A script with its own COMMIT would end this transaction early; Prisma never writes one.)
    await client.query(file.script);
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, $4, $5, 1)`,
      [randomUUID(), file.checksum, file.name, startedAt, new Date()],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.query("RESET lock_timeout").catch(() => {});
  }
}

/** Prisma's way: a started row, each statement committed alone, then the row finished, or its logs set. */
async function applyOutsideTransaction(session: MigrationSession, file: MigrationFile): Promise<void> {
  const { client } = session;
  const statements = await splitStatements(file.script);
  const id = randomUUID();
  await client.query(
    "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, $4)",
    [id, file.checksum, file.name, new Date()],
  );
  for (const [index, statement] of statements.entries()) {
    const leftovers = new Map<string, string>();
    try {
      const what = `statement ${index + 1} of ${statements.length} of migration ${file.name}`;
      await applyStatement(session, statement, what, leftovers);
    } catch (error) {
      const message = statementFailureMessage(file, statements, index, error, leftovers);
      await client.query("UPDATE _prisma_migrations SET logs = $1 WHERE id = $2", [message, id]).catch(() => {});
      throw new MigrationError("P3018", message);
    }
  }
  await client.query(
    "UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1, finished_at = $2 WHERE id = $1",
    [id, new Date()],
  );
}

/**
 * One statement in autocommit, retried on lock timeouts. A CREATE INDEX CONCURRENTLY (or REINDEX
 * CONCURRENTLY) that times out after its first phase leaves an invalid index behind, which would
 * make the retry fail ("already exists") or, with IF NOT EXISTS, succeed without an index; so the
 * next attempt first drops the invalid indexes the failed one left. Those left when it gives up
 * are returned in `leftovers`.
 */
async function applyStatement(
  session: MigrationSession,
  statement: ScriptStatement,
  what: string,
  leftovers: Map<string, string>,
): Promise<void> {
  const { client, policy } = session;
  const before = await invalidIndexes(client);
  await retryOnLockTimeout(policy, retryReport(session, what), async () => {
    await setLockTimeout(client, policy.timeoutMs);
    try {
      for (const [oid, name] of leftovers) {
        await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
        leftovers.delete(oid);
      }
      await client.query(statement.sql);
    } catch (error) {
      if (isLockTimeout(error)) {
        for (const [oid, name] of await invalidIndexes(client)) if (!before.has(oid)) leftovers.set(oid, name);
      }
      throw error;
    } finally {
      await client.query("RESET lock_timeout").catch(() => {});
    }
  });
}

/** Invalid indexes of this database, by oid, with their quoted qualified names. */
async function invalidIndexes(client: pg.Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ oid: string; name: string }>(
    `SELECT c.oid::text AS oid, format('%I.%I', n.nspname, c.relname) AS name
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT i.indisvalid`,
  );
  return new Map(rows.map((row) => [row.oid, row.name]));
}

async function setLockTimeout(client: pg.Client, timeoutMs: number): Promise<void> {
  // An integer validated by migrate(); SET takes no parameters.
  await client.query(`SET lock_timeout = ${Math.trunc(timeoutMs)}`);
}

function retryReport(session: MigrationSession, what: string): RetryReport {
  return {
    what,
    log: session.log,
    describeHolders: () => describeLockHolders(session.client, session.policy.timeoutMs),
  };
}

function lockAdvice(exhausted: LockWaitExhausted): string {
  const holders = exhausted.holders ? `Blocking it: ${exhausted.holders}.` : "Another session held a lock on a table it changes.";
  return (
    `${holders} Let those transactions finish or end them (SELECT pg_terminate_backend(pid)), ` +
    "or allow a longer wait with MIGRATE_LOCK_TIMEOUT_MS."
  );
}

function statementFailureMessage(
  file: MigrationFile,
  statements: ScriptStatement[],
  index: number,
  error: unknown,
  leftovers: Map<string, string>,
): string {
  const exhausted = error instanceof LockWaitExhausted ? error : undefined;
  const parts = [applyErrorMessage(file, exhausted ? exhausted.lastError : error, statements[index]?.offset ?? 0)];
  if (exhausted) parts.push(`It timed out waiting for table locks on all ${exhausted.attempts} attempts. ${lockAdvice(exhausted)}`);
  if (leftovers.size > 0) {
    parts.push(`It left the invalid index ${[...leftovers.values()].join(", ")} behind: drop it (DROP INDEX CONCURRENTLY) before applying the migration again.`);
  }
  parts.push(
    `This migration cannot run in a transaction, so its statements were committed one at a time: ${index} of ${statements.length} ` +
      "had been applied before this one failed. Finish or undo them by hand, then mark the migration with `prisma migrate resolve`.",
  );
  return parts.join("\n\n");
}

/** The failed row Prisma leaves (finished_at null, logs set), so P3009 stops every later run. */
async function recordFailure(client: pg.Client, file: MigrationFile, startedAt: Date, logs: string): Promise<void> {
  try {
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, logs, applied_steps_count)
       VALUES ($1, $2, $3, $4, $5, 0)`,
      [randomUUID(), file.checksum, file.name, startedAt, logs],
    );
  } catch {
    // The connection is gone: nothing was applied, so the next run simply tries again.
  }
}

/** Prisma's P3018 text, with the failing line of the script instead of ANSI colours. */
function applyErrorMessage(file: MigrationFile, error: unknown, offset = 0): string {
  const err = error as { code?: string; message?: string; position?: string };
  const position = err.position ? failingLine(file.script, offset + Number(err.position)) : "";
  return (
    "A migration failed to apply. New migrations cannot be applied before the error is recovered from. " +
    "Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n\n" +
    `Migration name: ${file.name}\n\nDatabase error code: ${err.code ?? "none"}\n\n` +
    `Database error:\n${err.message ?? String(error)}${position}`
  );
}

function failingLine(script: string, position: number): string {
  if (!Number.isFinite(position) || position < 1) return "";
  const before = script.slice(0, position - 1);
  const lineNumber = before.split("\n").length;
  const line = script.split("\n")[lineNumber - 1] ?? "";
  return `\n\nPosition:\n${String(lineNumber).padStart(3)} ${line}`;
}

function codeOf(error: unknown): string {
  return (error as { code?: string } | null)?.code ?? "";
}
