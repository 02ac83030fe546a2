import type pg from "pg";
import type { Redis } from "ioredis";

export interface Readiness {
  ready: boolean;
  checks: { postgres: "up" | "down"; redis: "up" | "down" };
  errors?: Record<string, string>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** PostgreSQL and Redis answering, each within `timeoutMs`. */
export async function checkReadiness(pool: pg.Pool, redis: Redis, timeoutMs = 2_000): Promise<Readiness> {
  const [postgres, redisResult] = await Promise.allSettled([
    withTimeout(pool.query("SELECT 1"), timeoutMs, "PostgreSQL"),
    withTimeout(redis.ping(), timeoutMs, "Redis"),
  ]);
  const errors: Record<string, string> = {};
  if (postgres.status === "rejected") errors.postgres = (postgres.reason as Error).message;
  if (redisResult.status === "rejected") errors.redis = (redisResult.reason as Error).message;
  const checks = {
    postgres: postgres.status === "fulfilled" ? ("up" as const) : ("down" as const),
    redis: redisResult.status === "fulfilled" ? ("up" as const) : ("down" as const),
  };
  const ready = checks.postgres === "up" && checks.redis === "up";
  return ready ? { ready, checks } : { ready, checks, errors };
}
