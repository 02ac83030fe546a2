import pino from "pino";

export type Logger = pino.Logger;

/** Structured JSON logs on stdout; every request's lines carry its correlation id (a child logger). */
export function createLogger(level: string, name = "gateway"): Logger {
  return pino({ name, level, base: { pid: process.pid, service: name } });
}
