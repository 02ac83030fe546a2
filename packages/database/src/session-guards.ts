/**
 * Limits every session of the project's processes sets on the server, so that a process that
 * freezes (SIGSTOP, a long GC, a lost host) holds nothing others wait on for long:
 * - statement_timeout: no statement runs forever (a locked table, a stuck query);
 * - lock_timeout: no statement waits forever for a lock (a command on a locked events table fails
 *   instead of hanging while it holds its stream's lock in the gateway);
 * - idle_in_transaction_session_timeout: a session frozen inside a transaction is ended by the
 *   server, which releases its row locks and stops it holding back the event store's watermark;
 * - TCP keepalives on the server side: a peer that vanished (host gone, partition) is noticed in
 *   seconds instead of the kernel's two hours, and its session (and locks) end.
 */
export interface SessionGuards {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionMs: number;
}

/** Defaults for request-path sessions (gateway, command bus): a command fails fast rather than hangs. */
export const REQUEST_SESSION_GUARDS: SessionGuards = { statementTimeoutMs: 15_000, lockTimeoutMs: 5_000, idleInTransactionMs: 10_000 };

/** Defaults for the worker: catch-up chunks may take a few seconds, a frozen transaction may not. */
export const WORKER_SESSION_GUARDS: SessionGuards = { statementTimeoutMs: 60_000, lockTimeoutMs: 10_000, idleInTransactionMs: 10_000 };

/** Server keepalives: a dead peer is noticed after about 5 + 2 × 3 = 11 s of silence. */
const KEEPALIVES = { tcp_keepalives_idle: 5, tcp_keepalives_interval: 2, tcp_keepalives_count: 3 } as const;

/** The guards as session settings (`-c name=value` at connection start). */
export function guardSettings(guards: SessionGuards): Record<string, number> {
  return {
    statement_timeout: guards.statementTimeoutMs,
    lock_timeout: guards.lockTimeoutMs,
    idle_in_transaction_session_timeout: guards.idleInTransactionMs,
    ...KEEPALIVES,
  };
}

/** The same as a libpq `options` string, for clients built elsewhere (Prisma's adapter). */
export function guardOptions(guards: SessionGuards): string {
  return Object.entries(guardSettings(guards))
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(" ");
}
