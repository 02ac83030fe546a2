import { pino, type Logger } from "pino";

export type { Logger };

/** JSON lines on stdout; every line carries the process id so several workers can share a log. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: "worker", pid: process.pid, ...bindings } });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
