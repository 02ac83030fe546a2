// Start-up refuses a database without the projections' tables, with a message that says what to do.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { REDIS_URL } from "./test-kit/stack";
import { WorkerProcess } from "./test-kit/workers";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("coop_test_worker_startup", { migrate: false });
});

afterAll(async () => {
  await db?.drop();
});

it("fails at start-up, clearly, when the read-model tables are missing", async () => {
  const worker = new WorkerProcess("unmigrated", { DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: `coop-test-startup-${randomBytes(4).toString("hex")}` });
  const { code } = await worker.exited;
  expect(code).toBe(1);
  expect(worker.log()).toContain("the database lacks table(s) events, projections");
  expect(worker.log()).toContain("pnpm db:migrate");
});
