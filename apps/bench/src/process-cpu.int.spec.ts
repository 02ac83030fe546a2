import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { startPostgresCpuMeter } from "./process-cpu";

let db: TestDatabase;
let pool: ReturnType<typeof createPool>;

beforeAll(async () => {
  db = await createTestDatabase("coop_test_bench_pgcpu");
  pool = createPool(db.url, { max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe("the PostgreSQL server's CPU", () => {
  it("counts the work of its backends, those that have exited included", async () => {
    const meter = await startPostgresCpuMeter(pool);
    expect(meter).not.toBeNull(); // the machine's PostgreSQL runs here
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Some hundreds of ms of CPU in that backend, whatever else the machine does.
    await client.query("SELECT count(*) FROM generate_series(1, 10000000)");
    await client.end(); // its backend exits: the postmaster reaps it, and its time moves to the postmaster's children
    let used = 0;
    for (let i = 0; i < 20 && used < 150; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      used = await meter!.usedMs();
    }
    expect(used).toBeGreaterThanOrEqual(150);
  });
});
