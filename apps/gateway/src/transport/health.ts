import type pg from "pg";
import type { Redis } from "ioredis";
import type { Logger } from "../logger";

export type CheckState = "up" | "down";

/** What /readyz shows: which dependency is down, never why (driver messages name hosts). */
export interface Readiness {
  ready: boolean;
  checks: { postgres: CheckState; redis: CheckState };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A readiness check of PostgreSQL and Redis, each answering within `timeoutMs`. Why a dependency
 * is down goes to the log (once, when it goes down: the logger of the request that found out),
 * for operators; the endpoint only names it.
 */
export function createReadinessCheck(pool: pg.Pool, redis: Redis, timeoutMs = 2_000): (logger: Logger) => Promise<Readiness> {
  const last: Record<string, CheckState> = { postgres: "up", redis: "up" };
  const state = (name: "postgres" | "redis", result: PromiseSettledResult<unknown>, logger: Logger): CheckState => {
    const now: CheckState = result.status === "fulfilled" ? "up" : "down";
    if (now !== last[name]) {
      if (result.status === "rejected") logger.warn({ dependency: name, err: result.reason as Error }, `readiness: ${name} is down`);
      else logger.info({ dependency: name }, `readiness: ${name} is up again`);
      last[name] = now;
    }
    return now;
  };
  return async (logger) => {
    const [postgres, redisResult] = await Promise.allSettled([
      withTimeout(pool.query("SELECT 1"), timeoutMs, "PostgreSQL"),
      withTimeout(redis.ping(), timeoutMs, "Redis"),
    ]);
    const checks = { postgres: state("postgres", postgres, logger), redis: state("redis", redisResult, logger) };
    return { ready: checks.postgres === "up" && checks.redis === "up", checks };
  };
}
