// Log order is numeric order of (transaction id, position), also where the numbers gain a digit:
// a query that sorts their text ("1000" before "999") would take an old event for the head.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { EventStore, START } from "./index";

let db: TestDatabase;
let pool: ReturnType<typeof createPool>;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase("coop_test_es_order");
  pool = createPool(db.url, { max: 4 });
  store = new EventStore(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** Stores an event with the given transaction id and position, as if written by that transaction. */
async function storedAt(transactionId: number, position: number, streamVersion: number, streamId: string) {
  await pool.query(
    `INSERT INTO events (position, transaction_id, event_id, tenant_id, stream_id, stream_type, stream_version, event_type, schema_version, data, metadata, stream_hash)
     VALUES ($1, $2, $3, 'tenant-a', $4, 'Test', $5, 'Happened', 1, '{}', '{}', 0)`,
    [position, transactionId, randomUUID(), streamId, streamVersion],
  );
}

describe("log order across a digit boundary", () => {
  it("head, readAll and countAfter compare numbers, not text", async () => {
    expect(await store.head()).toBeNull();
    const a = randomUUID();
    const b = randomUUID();
    // Transaction ids 9, 10 and 100 sort "10" < "100" < "9" as text. They are far below any
    // live cluster's transaction counter (a fresh cluster starts near 700), so all lie below the
    // safe watermark; ids near 10,000 did not on a fresh cluster, and the test failed there.
    await storedAt(9, 99, 1, a);
    await storedAt(10, 100, 1, b);
    await storedAt(10, 101, 2, b);
    await storedAt(100, 9, 2, a); // a late commit: a low position in a later transaction

    expect(await store.head()).toEqual({ transactionId: "100", position: "9" });
    const all = await store.readAll(START, 10);
    expect(all.map((e) => `${e.transactionId}/${e.position}`)).toEqual(["9/99", "10/100", "10/101", "100/9"]);
    expect(await store.countAfter({ transactionId: "9", position: "99" })).toBe(3);
    expect(await store.countAfter({ transactionId: "10", position: "101" })).toBe(1);
    expect(await store.headPosition()).toBe("101");
  });
});

describe("a stream's events in stream order, whatever order PostgreSQL reads them in", () => {
  it("loads them, and hands back the missed ones of a stale append, by version", async () => {
    const s = randomUUID();
    // Stored out of version order, and read back by a heap scan (no index), so they come as stored.
    await storedAt(1, 201, 3, s);
    await storedAt(1, 202, 1, s);
    await storedAt(1, 203, 2, s);
    const heapOrder = createPool(db.url, { max: 1, settings: { enable_indexscan: "off", enable_bitmapscan: "off", enable_indexonlyscan: "off" } });
    try {
      const heap = new EventStore(heapOrder);
      const stream = { tenantId: "tenant-a", streamType: "Test", streamId: s };
      const read = await heapOrder.query<{ v: number }>("SELECT stream_version AS v FROM events WHERE tenant_id = 'tenant-a' AND stream_id = $1", [s]);
      expect(read.rows.map((r) => r.v)).toEqual([3, 1, 2]); // the order the statements meet them in
      expect((await heap.load(stream, 1)).events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
      const stale = await heap.append(stream, 0, [{ type: "Happened", schemaVersion: 1, data: {}, metadata: {} }]);
      if (stale.ok || stale.reason !== "WrongExpectedVersion") throw new Error(`expected a stale append, got ${JSON.stringify(stale)}`);
      expect(stale.missed?.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    } finally {
      await heapOrder.end();
    }
  });
});
