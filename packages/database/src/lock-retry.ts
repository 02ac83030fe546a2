import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";

/** lock_not_available: lock_timeout expired, or a NOWAIT lock was refused. */
export const LOCK_NOT_AVAILABLE = "55P03";
const MAX_RETRY_DELAY_MS = 30_000;

export interface LockRetryPolicy {
  /** lock_timeout for migration statements, in ms; 0 waits without limit. */
  timeoutMs: number;
  /** Attempts after the first one, when each failed only because a lock was not available. */
  retries: number;
  /** Pause before the first retry; it doubles before each next one, up to 30 s. */
  firstDelayMs: number;
}

export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === LOCK_NOT_AVAILABLE;
}

/** Every attempt timed out waiting for a lock. */
export class LockWaitExhausted extends Error {
  constructor(
    readonly attempts: number,
    /** Who held table locks at the last timeout, or "" when nobody could be named. */
    readonly holders: string,
    readonly lastError: unknown,
  ) {
    super(`gave up after ${attempts} lock timeouts`);
    this.name = "LockWaitExhausted";
  }
}

export function retryDelayMs(policy: LockRetryPolicy, retry: number): number {
  return Math.min(policy.firstDelayMs * 2 ** (retry - 1), MAX_RETRY_DELAY_MS);
}

export interface RetryReport {
  /** What is being attempted, for the log: "migration 2025..._x". */
  what: string;
  log: (level: "info" | "warn", message: string) => void;
  /** Names the blocking sessions after a timeout; "" when it cannot. */
  describeHolders: () => Promise<string>;
}

/**
 * Runs `attempt` until it succeeds, fails for another reason, or has timed out on a lock
 * 1 + retries times. A lock wait that ends in a timeout has stopped queueing everyone else behind
 * it, so the pause between attempts is when the table's readers and writers get through.
 */
export async function retryOnLockTimeout<T>(
  policy: LockRetryPolicy,
  report: RetryReport,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      const holders = await report.describeHolders().catch(() => "");
      if (tried > policy.retries) throw new LockWaitExhausted(tried, holders, error);
      const delay = retryDelayMs(policy, tried);
      report.log(
        "warn",
        `${report.what} timed out waiting for a lock (lock_timeout ${policy.timeoutMs} ms, attempt ${tried} of ${policy.retries + 1})` +
          `${holders ? `; ${holders}` : ""}; retrying in ${delay} ms`,
      );
      await sleep(delay);
    }
  }
}

interface HolderRow {
  pid: number;
  application: string;
  state: string | null;
  seconds: number;
  locks: string;
}

/**
 * The sessions of this database whose transactions began before the timed-out wait did and that
 * hold table locks (a lock on an index comes with one on its table): the likely blockers, oldest
 * first. Only pid, application, state, age and lock
 * names: never query text, which may hold personal data.
 */
export async function describeLockHolders(client: pg.Client, olderThanMs: number): Promise<string> {
  const { rows } = await client.query<HolderRow>(
    `SELECT a.pid, coalesce(nullif(a.application_name, ''), 'unnamed') AS application, a.state,
            floor(extract(epoch FROM now() - a.xact_start))::int AS seconds,
            string_agg(DISTINCT format('%s on %s', l.mode, l.relation::regclass), ', ') AS locks
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = l.relation
     WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND c.relkind IN ('r', 'p', 'm', 'f') AND c.relnamespace <> 'pg_catalog'::regnamespace
       AND a.xact_start <= now() - make_interval(secs => $1::int / 1000.0)
     GROUP BY a.pid, a.application_name, a.state, a.xact_start
     ORDER BY a.xact_start
     LIMIT 5`,
    [olderThanMs],
  );
  if (rows.length === 0) return "";
  const sessions = rows.map(
    (row) =>
      `pid ${row.pid} (application "${row.application}", ${row.state ?? "unknown state"}, transaction open ${row.seconds} s) holds ${row.locks}`,
  );
  return `sessions holding table locks since before the wait began: ${sessions.join("; ")}`;
}
