// A read model built by another version of its projection is rebuilt blue/green by a worker on
// its own (CONTRACT section 9): while commands keep coming and a reader keeps reading, the reader
// never gets an error or a half-built table (its counts never go back), live events are not lost
// across the swap, and the result equals the independent model and a rebuild.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "@coop/database";
import { verifyReadModels } from "../test-kit/compare";
import { randomSeed } from "../test-kit/random";
import { TestStack } from "../test-kit/stack";
import { waitUntil } from "../test-kit/wait";
import { generateWorkload } from "../test-kit/workload";

let stack: TestStack;
let reader: pg.Pool;

beforeAll(async () => {
  stack = await TestStack.create("versions");
  reader = createPool(stack.db.url, { max: 1, application_name: "versions-reader", onError: () => undefined });
});

afterAll(async () => {
  await reader?.end();
  await stack?.close();
});

async function tableOid(pool: pg.Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ oid: number }>("SELECT $1::regclass::oid::int AS oid", [table]);
  return rows[0]!.oid;
}

describe("a projection's version", () => {
  it("a read model of an older version is rebuilt blue/green by itself while commands flow and a reader sees no error and nothing half-built", async () => {
    const seed = randomSeed();
    // Small rebuild chunks: the rebuild takes long enough for commands and reads to overlap it.
    stack.startWorkers(2, { WORKER_REBUILD_CHUNK: "200" });
    await stack.waitForWorkers();
    await stack.run(generateWorkload({ seed, families: 150, commands: 3_000 }), { concurrency: 8 });
    await stack.waitForHead(["family-detail"]);
    const before = await tableOid(stack.pool, "family_views");

    // The read model now says it was built by an older version than the workers' code.
    await stack.pool.query("UPDATE projections SET version = 0 WHERE name = 'family-detail'");

    let reading = true;
    const seen: { families: number; payments: number }[] = [];
    const errors: string[] = [];
    const reads = (async () => {
      while (reading) {
        try {
          const { rows } = await reader.query<{ families: number; payments: number }>(
            "SELECT count(*)::int AS families, coalesce(sum(payment_count), 0)::int AS payments FROM family_views",
          );
          seen.push(rows[0]!);
        } catch (error) {
          errors.push((error as Error).message);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Commands keep coming during the rebuild (another seed: other families).
    await stack.run(generateWorkload({ seed: seed + 7, families: 60, commands: 1_500 }), { concurrency: 4 });
    await waitUntil(
      "the rebuild to swap in a read model of the code's version",
      async () => {
        const { rows } = await stack.pool.query<{ version: number; status: string }>("SELECT version, status::text AS status FROM projections WHERE name = 'family-detail'");
        return rows[0]!.version === 1 && rows[0]!.status === "RUNNING" && (await tableOid(stack.pool, "family_views")) !== before;
      },
      { timeoutMs: 120_000, describe: () => stack.describe() },
    );
    await stack.waitForHead();
    reading = false;
    await reads;

    expect(errors).toEqual([]);
    expect(seen.length).toBeGreaterThan(10);
    for (let i = 1; i < seen.length; i++) {
      // Never fewer families or payments than a moment before: no empty or half-built table was read.
      expect(seen[i]!.families, `read ${i}`).toBeGreaterThanOrEqual(seen[i - 1]!.families);
      expect(seen[i]!.payments, `read ${i}`).toBeGreaterThanOrEqual(seen[i - 1]!.payments);
    }
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });
});
