/** Everything the processes read from the environment (CONTRACT sections 2, 6 and 7), checked once. */
export interface Config {
  /** NODE_ENV; "production" when unset, so that a forgotten variable never relaxes a safeguard. */
  nodeEnv: string;
  databaseUrl: string;
  /**
   * DATABASE_READER_ROLE: the PostgreSQL role the gateway reads as (row-level security applies to
   * it); its sessions switch to it at connection start, so DATABASE_URL's user must be a member.
   */
  databaseReaderRole: string;
  redisUrl: string;
  port: number;
  workerPort: number;
  jwtSecret: string;
  /** True when JWT_SECRET was not set and the development secret is in use (log a warning). */
  jwtSecretIsDefault: boolean;
  /** DATA_KEY_SECRET: wraps every family's data key (CONTRACT section 8). */
  dataKeySecret: string;
  /** True when DATA_KEY_SECRET was not set and the development secret is in use (log a warning). */
  dataKeySecretIsDefault: boolean;
  /** DATA_KEY_SECRET_PREVIOUS: secrets that wrapped keys before a rotation, until `pnpm data-keys rewrap` has run. */
  dataKeyPreviousSecrets: readonly string[];
  /** DATA_KEY_CACHE_MS: how long a process keeps a family's key (the net under the forget notification). */
  dataKeyCacheMs: number;
  /** JWT_ISSUER / JWT_AUDIENCE: when set, a token must carry this `iss` / `aud`. */
  jwtIssuer: string | null;
  jwtAudience: string | null;
  /** CORS_ORIGINS: origins a browser may call /graphql from, normalised; ["*"] for any. */
  corsOrigins: readonly string[];
  /** DASHBOARD_PASSWORD: the worker's queue dashboard asks for it (HTTP basic auth). */
  dashboardPassword: string | null;
  queuePrefix: string;
  snapshotEvery: number;
  aggregateCacheSize: number;
  /** CONSISTENCY_TIMEOUT_MS: how long a read waits for the read models to include a position. */
  consistencyTimeoutMs: number;
  logLevel: string;
}

export const DEVELOPMENT_JWT_SECRET = "coop-development-secret-do-not-use-in-production";
/** Wraps data keys under development and test only; production refuses to start without DATA_KEY_SECRET. */
export const DEVELOPMENT_DATA_KEY_SECRET = "coop-development-data-key-secret-do-not-use-in-production";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  /**
   * Whether a missing JWT_SECRET stops the load outside development and test (default true: the
   * gateway and the worker). Tools that neither serve nor verify tokens may pass false; they then
   * get the development secret, which no production gateway accepts.
   */
  requireJwtSecret?: boolean;
  /** Likewise for DATA_KEY_SECRET (default true): tools that touch no personal data may pass false. */
  requireDataKeySecret?: boolean;
}

/** NODE_ENV values under which the development defaults apply (secret, CORS, dashboard, dev token). */
export function isDevelopmentOrTest(nodeEnv: string): boolean {
  return nodeEnv === "development" || nodeEnv === "test";
}

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

/** Trimmed text, or null when unset or blank. */
function optionalText(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

// scheme://host[:port], nothing more: browsers send exactly this in `Origin` (no path, no slash).
const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i;

/**
 * CORS_ORIGINS: comma-separated origins, or `*` for any. Unset or blank: none, except `*` under
 * NODE_ENV=development. Origins are lower-cased, and http(s) ones lose a default port, to compare
 * with what browsers send.
 */
export function parseCorsOrigins(raw: string | undefined, nodeEnv: string): string[] {
  if (raw === undefined || raw.trim() === "") return nodeEnv === "development" ? ["*"] : [];
  const origins = new Set<string>();
  for (const entry of raw.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    if (entry === "*") return ["*"];
    const match = ORIGIN.exec(entry);
    const port = match?.[3] ? Number(match[3].slice(1)) : 0;
    if (!match || port > 65535) {
      throw new ConfigError(`CORS_ORIGINS must list origins (scheme://host[:port], no path) or *, got "${entry}"`);
    }
    const scheme = match[1]!.toLowerCase();
    origins.add(scheme === "http" || scheme === "https" ? new URL(entry).origin : entry.toLowerCase());
  }
  return [...origins];
}

const DASHBOARD_PASSWORD_MIN = 12;

export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const nodeEnv = env.NODE_ENV || "production";
  const secret = env.JWT_SECRET;
  if (!secret && !isDevelopmentOrTest(nodeEnv) && options.requireJwtSecret !== false) {
    const current = env.NODE_ENV ? `NODE_ENV is "${nodeEnv}"` : "NODE_ENV is unset, which counts as production";
    throw new ConfigError(`JWT_SECRET is required unless NODE_ENV is development or test (${current})`);
  }
  if (secret !== undefined && secret !== "" && secret.length < 16) throw new ConfigError("JWT_SECRET must be at least 16 characters");
  const dataKeySecret = env.DATA_KEY_SECRET;
  if (!dataKeySecret && !isDevelopmentOrTest(nodeEnv) && options.requireDataKeySecret !== false) {
    const current = env.NODE_ENV ? `NODE_ENV is "${nodeEnv}"` : "NODE_ENV is unset, which counts as production";
    throw new ConfigError(`DATA_KEY_SECRET is required unless NODE_ENV is development or test (${current})`);
  }
  if (dataKeySecret !== undefined && dataKeySecret !== "" && dataKeySecret.length < 16) throw new ConfigError("DATA_KEY_SECRET must be at least 16 characters");
  const previous = (env.DATA_KEY_SECRET_PREVIOUS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (previous.some((s) => s.length < 16)) throw new ConfigError("DATA_KEY_SECRET_PREVIOUS must list secrets of at least 16 characters, comma-separated");
  const dashboardPassword = env.DASHBOARD_PASSWORD || null;
  if (dashboardPassword !== null && dashboardPassword.length < DASHBOARD_PASSWORD_MIN) {
    throw new ConfigError(`DASHBOARD_PASSWORD must be at least ${DASHBOARD_PASSWORD_MIN} characters`);
  }
  const queuePrefix = env.QUEUE_PREFIX || "coop";
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError(`QUEUE_PREFIX may hold letters, digits, '_', '.', '-' (1 to 64), got "${queuePrefix}"`);
  }
  const databaseReaderRole = env.DATABASE_READER_ROLE?.trim() || "coop_reader";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseReaderRole)) {
    throw new ConfigError(`DATABASE_READER_ROLE must be a plain lower-case role name (letters, digits, '_'), got "${databaseReaderRole}"`);
  }
  return {
    nodeEnv,
    databaseUrl: url(env, "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/coop", ["postgresql:", "postgres:"]),
    databaseReaderRole,
    redisUrl: url(env, "REDIS_URL", "redis://127.0.0.1:6379", ["redis:", "rediss:"]),
    port: wholeNumberFromEnv(env, "PORT", 4000, 0, 65535),
    workerPort: wholeNumberFromEnv(env, "WORKER_PORT", 4001, 0, 65535),
    jwtSecret: secret || DEVELOPMENT_JWT_SECRET,
    jwtSecretIsDefault: !secret,
    dataKeySecret: dataKeySecret || DEVELOPMENT_DATA_KEY_SECRET,
    dataKeySecretIsDefault: !dataKeySecret,
    dataKeyPreviousSecrets: previous,
    dataKeyCacheMs: wholeNumberFromEnv(env, "DATA_KEY_CACHE_MS", 60_000, 0, 3_600_000),
    jwtIssuer: optionalText(env, "JWT_ISSUER"),
    jwtAudience: optionalText(env, "JWT_AUDIENCE"),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS, nodeEnv),
    dashboardPassword,
    queuePrefix,
    snapshotEvery: wholeNumberFromEnv(env, "SNAPSHOT_EVERY", 100, 1, 1_000_000),
    aggregateCacheSize: wholeNumberFromEnv(env, "AGGREGATE_CACHE_SIZE", 10_000, 0, 10_000_000),
    consistencyTimeoutMs: wholeNumberFromEnv(env, "CONSISTENCY_TIMEOUT_MS", 5_000, 0, 60_000),
    logLevel: env.LOG_LEVEL || (nodeEnv === "test" ? "warn" : "info"),
  };
}

/**
 * The Redis pub/sub channel on which workers say, after each commit, how far a lane (or the
 * publisher) got: gateways wait on it for read-your-writes.
 */
export function projectionProgressChannel(queuePrefix: string): string {
  return `${queuePrefix}:projection-progress`;
}

/**
 * The Redis pub/sub channel on which a projection that announces its changes says, after each
 * commit, which streams' rows changed (ids, versions and event types; never their data).
 */
export function streamChangesChannel(queuePrefix: string, projection: string): string {
  return `${queuePrefix}:stream-changes:${projection}`;
}

/** The Redis pub/sub channel on which a process that forgot a family tells the others to drop its key. */
export function keysForgottenChannel(queuePrefix: string): string {
  return `${queuePrefix}:keys-forgotten`;
}

/** The Redis pub/sub channel on which appenders nudge the publisher after a commit. */
export function eventsAppendedChannel(queuePrefix: string): string {
  return `${queuePrefix}:events-appended`;
}
