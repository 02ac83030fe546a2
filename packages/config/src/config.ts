/** Everything the processes read from the environment (CONTRACT section 2), checked once. */
export interface Config {
  nodeEnv: string;
  databaseUrl: string;
  redisUrl: string;
  port: number;
  workerPort: number;
  jwtSecret: string;
  /** True when JWT_SECRET was not set and the development secret is in use (log a warning). */
  jwtSecretIsDefault: boolean;
  queuePrefix: string;
  snapshotEvery: number;
  aggregateCacheSize: number;
  logLevel: string;
}

export const DEVELOPMENT_JWT_SECRET = "coop-development-secret-do-not-use-in-production";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type Env = Record<string, string | undefined>;

/** A whole number from the environment, within [min, max]; unset or empty gives the fallback. */
export function wholeNumberFromEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const value = env[name] || fallback;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${value}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(" or ")}, got "${value}"`);
  }
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV || "development";
  const secret = env.JWT_SECRET;
  if (!secret && nodeEnv === "production") throw new ConfigError("JWT_SECRET is required when NODE_ENV=production");
  if (secret !== undefined && secret !== "" && secret.length < 16) throw new ConfigError("JWT_SECRET must be at least 16 characters");
  const queuePrefix = env.QUEUE_PREFIX || "coop";
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError(`QUEUE_PREFIX may hold letters, digits, '_', '.', '-' (1 to 64), got "${queuePrefix}"`);
  }
  return {
    nodeEnv,
    databaseUrl: url(env, "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/coop", ["postgresql:", "postgres:"]),
    redisUrl: url(env, "REDIS_URL", "redis://127.0.0.1:6379", ["redis:", "rediss:"]),
    port: wholeNumberFromEnv(env, "PORT", 4000, 0, 65535),
    workerPort: wholeNumberFromEnv(env, "WORKER_PORT", 4001, 0, 65535),
    jwtSecret: secret || DEVELOPMENT_JWT_SECRET,
    jwtSecretIsDefault: !secret,
    queuePrefix,
    snapshotEvery: wholeNumberFromEnv(env, "SNAPSHOT_EVERY", 100, 1, 1_000_000),
    aggregateCacheSize: wholeNumberFromEnv(env, "AGGREGATE_CACHE_SIZE", 10_000, 0, 10_000_000),
    logLevel: env.LOG_LEVEL || (nodeEnv === "test" ? "warn" : "info"),
  };
}

/** The Redis pub/sub channel on which appenders nudge the publisher after a commit. */
export function eventsAppendedChannel(queuePrefix: string): string {
  return `${queuePrefix}:events-appended`;
}
