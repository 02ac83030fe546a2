// A real stack for integration tests: a database of the test's own, a random queue prefix, the
// gateway in-process on port 0 (real HTTP), optionally a real worker child process. Everything
// is removed at the end: gateway closed, worker stopped, Redis keys of the prefix deleted, database dropped.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type pg from "pg";
import { loadConfig, type Config } from "@coop/config";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { signToken } from "../../src/auth/token";
import type { Role } from "../../src/auth/viewer";
import { createGateway, type Gateway, type GatewayDeps } from "../../src/server";
import { waitUntil } from "./wait";

export const TEST_JWT_SECRET = "gateway-tests-secret-0123456789abcdef";
/** The gateway's and its worker's DATA_KEY_SECRET: they must share it to read each other's sealed fields. */
export const TEST_DATA_KEY_SECRET = "gateway-tests-data-key-secret-0123456789";
export const WORKER_DIR = fileURLToPath(new URL("../../../worker", import.meta.url));

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: { message: string; path?: unknown[]; extensions?: { code?: string; field?: string; reason?: string; [key: string]: unknown } }[];
  };
}

export interface RequestOptions {
  token?: string | null;
  headers?: Record<string, string>;
}

export interface Stack {
  db: TestDatabase;
  config: Config;
  queuePrefix: string;
  gateway: Gateway;
  url: string;
  /** A pool of the test's own, for looking at the database directly. */
  pool: pg.Pool;
  worker: WorkerProcess | null;
  token(tenantId: string, roles: Role[], sub?: string): Promise<string>;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GraphQLResult<T>>;
  /** Another gateway on the same database (closed with the stack). */
  startGateway(deps?: GatewayDeps, env?: Record<string, string>): Promise<Gateway>;
  eventCount(tenantId?: string): Promise<number>;
  stop(): Promise<void>;
}

export interface StackOptions {
  worker?: boolean;
  gateway?: GatewayDeps;
  env?: Record<string, string>;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_KEY_SECRET: TEST_DATA_KEY_SECRET,
    PORT: "0",
    ...overrides,
  });
}

export async function postGraphQL<T>(url: string, query: string, variables?: Record<string, unknown>, options: RequestOptions = {}): Promise<GraphQLResult<T>> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  let body: GraphQLResult<T>["body"];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`not JSON (HTTP ${response.status}): ${text.slice(0, 300)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

export async function startStack(prefix: string, options: StackOptions = {}): Promise<Stack> {
  const db = await createTestDatabase(prefix);
  const queuePrefix = `gwtest-${randomBytes(5).toString("hex")}`;
  // Other tests of the shared PostgreSQL hold transactions open for seconds, and the store's
  // watermark is the whole cluster's oldest transaction: reads wait longer here than in production.
  const env = { DATABASE_URL: db.url, QUEUE_PREFIX: queuePrefix, CONSISTENCY_TIMEOUT_MS: "30000", ...options.env };
  const config = testConfig(env);
  const gateways: Gateway[] = [];
  const pool = createPool(db.url, { max: 4, application_name: "gateway-test-observer" });
  let worker: WorkerProcess | null = null;
  try {
    const gateway = await createGateway(config, { host: "127.0.0.1", ...options.gateway });
    gateways.push(gateway);
    if (options.worker) {
      const workerEnv = { ...process.env, ...env, NODE_ENV: "test", WORKER_PORT: "0", WORKER_DB_POOL: "8", JWT_SECRET: TEST_JWT_SECRET, DATA_KEY_SECRET: TEST_DATA_KEY_SECRET };
      worker = await startWorker(workerEnv);
    }
    const stack: Stack = {
      db,
      config,
      queuePrefix,
      gateway,
      url: gateway.url,
      pool,
      worker,
      token: (tenantId, roles, sub = "test-user") => signToken(TEST_JWT_SECRET, { sub, tenantId, roles }),
      gql: (query, variables, requestOptions) => postGraphQL(gateway.url, query, variables, requestOptions),
      async startGateway(deps = {}, extraEnv = {}) {
        const another = await createGateway(testConfig({ ...env, ...extraEnv }), { host: "127.0.0.1", ...deps });
        gateways.push(another);
        return another;
      },
      async eventCount(tenantId) {
        const result = tenantId
          ? await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE tenant_id = $1", [tenantId])
          : await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
        return result.rows[0]!.n;
      },
      async stop() {
        await Promise.allSettled(gateways.map((g) => g.close()));
        if (worker) await worker.stop();
        await pool.end().catch(() => undefined);
        await deleteRedisKeys(config.redisUrl, queuePrefix);
        await db.drop();
      },
    };
    return stack;
  } catch (error) {
    await Promise.allSettled(gateways.map((g) => g.close()));
    if (worker) await worker.stop();
    await pool.end().catch(() => undefined);
    await deleteRedisKeys(config.redisUrl, queuePrefix).catch(() => undefined);
    await db.drop();
    throw error;
  }
}

/** Deletes every Redis key of a queue prefix (SCAN, never KEYS). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export interface WorkerProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** apps/worker/src/main.ts in a child process (tsx), WORKER_PORT=0; resolves once it answers /healthz. */
export async function startWorker(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: WORKER_DIR,
    env: { ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A test run that ends without its afterAll (a hook timeout, Ctrl-C) must not leave it running.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  let output = "";
  let exited: number | null | undefined;
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<void>((resolve) => child.once("exit", (code) => ((exited = code), resolve())));
  let port = 0;
  try {
    await waitUntil(
      () => {
        if (exited !== undefined) throw new Error(`worker exited with ${exited}:\n${output.slice(-3000)}`);
        const match = /"port":(\d+)/.exec(output);
        if (match) port = Number(match[1]);
        return port > 0;
      },
      { timeoutMs: 30_000, what: "the worker to listen" },
    );
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true, {
      timeoutMs: 10_000,
      what: "the worker's /healthz",
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    child,
    port,
    output: () => output,
    async stop() {
      if (exited !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
