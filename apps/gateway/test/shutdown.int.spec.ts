// Graceful shutdown: in-flight requests finish, new connections are refused, pools close; and the
// process entry (src/main.ts) stops cleanly on SIGTERM.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todayUtc } from "./support/dates";
import { M, validInput } from "./support/operations";
import { postGraphQL, startStack, TEST_JWT_SECRET, type Stack } from "./support/stack";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-shutdown-${randomUUID().slice(0, 8)}`;
const GATEWAY_DIR = fileURLToPath(new URL("..", import.meta.url));

beforeAll(async () => {
  stack = await startStack("coop_test_gw_shutdown");
});

afterAll(async () => {
  await stack?.stop();
});

describe("graceful shutdown", () => {
  it("close() lets an in-flight command finish, refuses new connections, then closes", async () => {
    const gateway = await stack.startGateway({ poolSize: 4 });
    const token = await stack.token(tenant, ["admin"]);
    const familyId = randomUUID();
    const enrolled = await postGraphQL(gateway.url, M.enrollFamily, { input: validInput("enrollFamily", familyId, todayUtc()) }, { token });
    expect(enrolled.body.errors).toBeUndefined();

    // Hold appends back so that the command is in flight when shutdown starts.
    const blocker = await stack.pool.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE");
    let released = false;
    try {
      const inFlight = postGraphQL<{ recordPayment: { version: number } }>(gateway.url, M.recordPayment, { input: validInput("recordPayment", familyId, todayUtc()) }, { token });
      await waitUntil(async () => {
        const { rows } = await stack.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'coop-gateway' AND wait_event_type = 'Lock'",
        );
        return rows[0]!.n > 0;
      }, { what: "the command to wait on the lock" });

      const closed = gateway.close();
      // No new connections once shutdown has begun.
      await waitUntil(async () => (await fetch(`${gateway.url}/healthz`).then(() => false, () => true)), { what: "the listener to close" });
      await blocker.query("ROLLBACK");
      released = true;

      const result = await inFlight;
      expect(result.status).toBe(200);
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data?.recordPayment.version).toBe(2);
      await closed;
      expect(gateway.server.listening).toBe(false);
    } finally {
      if (!released) await blocker.query("ROLLBACK").catch(() => undefined);
      blocker.release();
    }
  });

  it("the process stops cleanly on SIGTERM (exit 0)", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: GATEWAY_DIR,
      env: { ...process.env, DATABASE_URL: stack.db.url, QUEUE_PREFIX: stack.queuePrefix, PORT: "0", JWT_SECRET: TEST_JWT_SECRET, NODE_ENV: "test", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const port = await waitUntil(() => Number(/"port":(\d+)/.exec(output)?.[1] ?? 0) || null, { timeoutMs: 30_000, what: "the gateway to listen" });
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).toMatch(/gateway stopped/);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
