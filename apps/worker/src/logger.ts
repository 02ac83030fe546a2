import { pino, type Logger } from "pino";
import { redactValues } from "./runtime/errors";

export type { Logger };

/** JSON lines on stdout; every line carries the process id so several workers can share a log. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: "worker", pid: process.pid, ...bindings } });
}

export function errorMessage(error: unknown): string {
  // Values PostgreSQL quotes in its messages may be personal data: never logged.
  return redactValues(error instanceof Error ? error.message : String(error));
}
