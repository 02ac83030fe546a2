/** What the nets report to: the process's logger (pino's `error` and `fatal` levels fit). */
export interface NetLogger {
  error(fields: Record<string, unknown>, message: string): void;
  fatal(message: string): void;
}

export interface FaultNetOptions {
  /** More unexpected errors than this within a minute end the process (default 20). */
  maxPerMinute?: number;
  /** How the process ends (tests replace it). */
  exit?: (code: number) => void;
}

/**
 * The last net of a long-running process: an error a library raised where nobody listened (an
 * 'error' event, a rejected promise) must not end a process whose work is transactional and
 * retried, such as a lost database connection in the middle of a request. It is logged loudly; a
 * storm of them (a real bug, not a passing fault) still ends the process, so that a supervisor
 * restarts it rather than let it spin.
 */
export function installFaultNets(logger: NetLogger, options: FaultNetOptions = {}): () => void {
  const max = options.maxPerMinute ?? 20;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const recent: number[] = [];
  const net = (kind: string) => (error: unknown) => {
    const e = error as { message?: unknown; stack?: unknown } | null;
    logger.error({ err: typeof e?.message === "string" ? e.message : String(error), stack: e?.stack }, `${kind}: kept running`);
    const now = Date.now();
    recent.push(now);
    while (recent.length > 0 && now - recent[0]! > 60_000) recent.shift();
    if (recent.length > max) {
      logger.fatal(`more than ${max} unexpected errors in a minute: exiting for a supervisor to restart the process`);
      exit(1);
    }
  };
  const rejection = net("unhandled promise rejection");
  const exception = net("uncaught exception");
  process.on("unhandledRejection", rejection);
  process.on("uncaughtException", exception);
  return () => {
    process.off("unhandledRejection", rejection);
    process.off("uncaughtException", exception);
  };
}
