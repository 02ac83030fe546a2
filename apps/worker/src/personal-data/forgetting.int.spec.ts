// CONTRACT section 8, end to end: a family's personal data is sealed wherever it is stored, and
// once the family is forgotten its plaintext is nowhere: no table of the database, no Redis key
// of the stack, no worker's log.
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { verifyReadModels } from "../test-kit/compare";
import type { AnyCommand } from "../test-kit/feature";
import { TestStack } from "../test-kit/stack";

let stack: TestStack | null = null;

afterEach(async () => {
  await stack?.close();
  stack = null;
});

/** Every base table of the schema whose rows, as text, hold `needle` (case-insensitive). */
async function tablesHolding(s: TestStack, needle: string): Promise<string[]> {
  const tables = await s.pool.query<{ name: string }>(
    "SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const holding: string[] = [];
  for (const { name } of tables.rows) {
    const found = await s.pool.query(`SELECT 1 FROM ${name} AS r WHERE r::text ILIKE '%' || $1 || '%' LIMIT 1`, [needle]);
    if (found.rowCount) holding.push(name);
  }
  return holding;
}

/** Every Redis key of the stack's prefix whose value (any type) holds `needle`. */
async function redisKeysHolding(redis: Redis, prefix: string, needle: string): Promise<string[]> {
  const holding: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let content: unknown;
      if (type === "string") content = await redis.get(key);
      else if (type === "hash") content = await redis.hgetall(key);
      else if (type === "list") content = await redis.lrange(key, 0, -1);
      else if (type === "set") content = await redis.smembers(key);
      else if (type === "zset") content = await redis.zrange(key, 0, -1, "WITHSCORES");
      else if (type === "stream") content = await redis.xrange(key, "-", "+");
      else content = null;
      if (JSON.stringify(content ?? null).toLowerCase().includes(needle.toLowerCase())) holding.push(`${key} (${type})`);
    }
  } while (cursor !== "0");
  return holding;
}

describe("forgetting a family", () => {
  it("leaves its plaintext nowhere: sealed in events and snapshots before, erased from every table and Redis key after", async () => {
    stack = await TestStack.create("forgetting", { snapshotEvery: 3 });
    stack.startWorkers(1);
    await stack.waitForWorkers();
    const tenantId = "tenant-forget";
    const familyId = randomUUID();
    const marker = `Mk${randomUUID().replace(/-/g, "").slice(0, 12)}`;
    const phoneMarker = `+1 ${String(Date.now()).slice(-9)} 7`;
    const dateMarker = "2003-02-01";
    const other = randomUUID();
    const commands: AnyCommand[] = [
      { type: "EnrollFamily", payload: { familyId, familyName: `${marker} family`, enrollmentDate: "2024-01-02", parentName: `${marker} parent`, email: `${marker}@example.org`, phone: phoneMarker } },
      { type: "AddChild", payload: { familyId, childName: `${marker} child`, birthDate: dateMarker } },
      { type: "UpdateEngagementScore", payload: { familyId, score: 40, factors: { why: `${marker} engagement` } } },
      { type: "AssessRisk", payload: { familyId, score: 90, factors: [`${marker} risk`] } },
      { type: "RecordContact", payload: { familyId, method: "PHONE", contactedOn: "2024-03-04", note: `${marker} note` } },
      { type: "AssignCoordinator", payload: { familyId, coordinator: "coordinator-forget" } },
      { type: "RecordPayment", payload: { familyId, amountCents: 4_200, paidOn: "2024-03-05", dueOn: null, method: "CARD", transactionId: "tx-forget-1" } },
      { type: "AddComment", payload: { familyId, commentId: randomUUID(), body: `${marker} comment` } },
      { type: "WithdrawFamily", payload: { familyId, reason: `${marker} reason` } },
      // Another family, kept: its data must survive the forget untouched.
      { type: "EnrollFamily", payload: { familyId: other, familyName: "Kept family", enrollmentDate: "2024-01-02", parentName: "Kept parent", email: "kept@example.org", phone: null } },
    ];
    for (const command of commands) await stack.dispatch(tenantId, command);
    await stack.waitForHead();

    const sealedOnly = ["events", "snapshots"];
    for (const needle of [marker, phoneMarker, dateMarker]) {
      const holding = await tablesHolding(stack, needle);
      expect(holding.filter((t) => sealedOnly.includes(t)), needle).toEqual([]);
      if (needle !== dateMarker) expect(holding, `${needle}: the read models show it while the family is not forgotten`).toContain("family_views");
    }
    expect((await stack.pool.query("SELECT 1 FROM snapshots")).rowCount, "snapshots were taken").toBeGreaterThan(0);

    await stack.dispatch(tenantId, { type: "ForgetFamily", payload: { familyId } });
    await stack.waitForHead();

    for (const needle of [marker, phoneMarker, dateMarker]) {
      expect(await tablesHolding(stack, needle), needle).toEqual([]);
      expect(await redisKeysHolding(stack.redis, stack.prefix, needle), needle).toEqual([]);
      for (const worker of stack.workers) expect(worker.log(), `${worker.label}'s log`).not.toContain(needle);
    }
    const row = await stack.pool.query("SELECT family_name, status::text, children_count, total_paid_cents::int AS paid FROM family_views WHERE family_id = $1", [familyId]);
    expect(row.rows).toEqual([{ family_name: "(erased)", status: "FORGOTTEN", children_count: 1, paid: 4_200 }]);
    const kept = await stack.pool.query("SELECT family_name FROM family_views WHERE family_id = $1", [other]);
    expect(kept.rows).toEqual([{ family_name: "Kept family" }]);
    // The read models equal the model and a rebuild from the events as they now read (erased).
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });
});
