// The safe defaults of CONTRACT section 7, as the processes start: no JWT_SECRET outside
// development and test (an unset NODE_ENV counting as production) and no start; the development
// token logged under development only; stack traces in GraphQL errors under development only.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "../src/server";
import { Q } from "./support/operations";
import { postGraphQL, startStack, testConfig, WORKER_DIR, type Stack } from "./support/stack";
import { waitUntil } from "./support/wait";

const GATEWAY_DIR = fileURLToPath(new URL("..", import.meta.url));

/** The environment of this test run without the variables a case decides on. */
function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

function startOnce(dir: string, env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
}

describe("JWT_SECRET is required unless NODE_ENV is development or test", () => {
  const cases: [string, NodeJS.ProcessEnv][] = [
    ["NODE_ENV unset", envWithout("JWT_SECRET", "NODE_ENV")],
    ["NODE_ENV=production", { ...envWithout("JWT_SECRET"), NODE_ENV: "production" }],
  ];
  for (const [name, env] of cases) {
    it(`${name}: the gateway and the worker refuse to start, naming the variable`, () => {
      const gateway = startOnce(GATEWAY_DIR, env);
      expect(gateway.status, gateway.stderr).not.toBe(0);
      expect(gateway.stderr).toMatch(/JWT_SECRET is required/);
      const worker = startOnce(WORKER_DIR, env);
      expect(worker.status, worker.stderr).not.toBe(0);
      expect(worker.stderr).toMatch(/JWT_SECRET is required/);
    }, 60_000);
  }

  it("a bad CORS_ORIGINS stops the gateway, naming the variable", () => {
    const result = startOnce(GATEWAY_DIR, { ...process.env, NODE_ENV: "test", CORS_ORIGINS: "https://app.example.com/path" });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/CORS_ORIGINS must list origins/);
  }, 60_000);
});

describe("with a database", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack("coop_test_gw_defaults");
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Starts src/main.ts, returns what it logged once it listens, and stops it. */
  async function startupLog(env: NodeJS.ProcessEnv): Promise<string> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: GATEWAY_DIR,
      env: { ...envWithout("JWT_SECRET"), DATABASE_URL: stack.db.url, QUEUE_PREFIX: stack.queuePrefix, PORT: "0", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await waitUntil(() => /playground/.test(output) || child.exitCode !== null, { timeoutMs: 30_000, what: "the gateway's start-up lines" });
      return output;
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  }

  it("the development token is logged under development, and not under test", async () => {
    const development = await startupLog({ NODE_ENV: "development" });
    expect(development).toMatch(/graphql\?token=[\w-]+\.[\w-]+\.[\w-]+/);
    expect(development).toMatch(/JWT_SECRET is not set/);
    const test = await startupLog({ NODE_ENV: "test" });
    expect(test).toMatch(/playground: http/);
    expect(test).not.toMatch(/token=/);
  }, 90_000);

  it("stack traces reach GraphQL errors under development only", async () => {
    const token = await stack.token(`t-defaults-${randomUUID().slice(0, 8)}`, ["admin"]);
    const traces: Record<string, unknown> = {};
    for (const nodeEnv of ["development", "test", "production"]) {
      // A database that is not there: the query fails inside, with an INTERNAL_SERVER_ERROR.
      const gateway = await createGateway(testConfig({ NODE_ENV: nodeEnv, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere", QUEUE_PREFIX: stack.queuePrefix }), {
        host: "127.0.0.1",
      });
      try {
        const result = await postGraphQL(gateway.url, Q.family, { id: randomUUID() }, { token });
        expect(result.body.errors?.[0]?.extensions?.code, nodeEnv).toBe("INTERNAL_SERVER_ERROR");
        traces[nodeEnv] = result.body.errors?.[0]?.extensions?.stacktrace;
      } finally {
        await gateway.close();
      }
    }
    expect(Array.isArray(traces.development) && traces.development.length > 0).toBe(true);
    expect(traces.test).toBeUndefined();
    expect(traces.production).toBeUndefined();
  });
});
