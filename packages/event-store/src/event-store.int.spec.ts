import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { CommandStore, compareCheckpoints, EventStore, START, type Checkpoint, type RecordedEvent } from "./index";

let db: TestDatabase;
let pool: ReturnType<typeof createPool>;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase("coop_test_es");
  pool = createPool(db.url, { max: 20 });
  store = new EventStore(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const tenantId = "tenant-a";
const stream = (streamId = randomUUID()) => ({ tenantId, streamType: "Test", streamId });
const event = (n: number) => ({ type: "Happened", schemaVersion: 1, data: { n }, metadata: { by: "test" } });

/** Polls until `probe` returns something, for up to 30 s. */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error("not visible within 30 s");
    await sleep(20);
  }
}

describe("append", () => {
  it("appends to a new stream and reads it back in order", async () => {
    const s = stream();
    const first = await store.append(s, 0, [event(1), event(2)]);
    expect(first).toMatchObject({ ok: true, version: 2 });
    const second = await store.append(s, 2, [event(3)]);
    expect(second).toMatchObject({ ok: true, version: 3 });

    const read = await store.readStream(s);
    expect(read.map((e) => [e.streamVersion, e.data])).toEqual([
      [1, { n: 1 }],
      [2, { n: 2 }],
      [3, { n: 3 }],
    ]);
    expect(read[0]).toMatchObject({ tenantId, streamType: "Test", type: "Happened", schemaVersion: 1, metadata: { by: "test" } });
    expect(BigInt(read[2]!.position)).toBeGreaterThan(BigInt(read[1]!.position));
    expect((await store.readStream(s, 2)).map((e) => e.streamVersion)).toEqual([3]);
  });

  it("refuses a wrong expected version as a value and appends nothing", async () => {
    const s = stream();
    await store.append(s, 0, [event(1)]);
    // A stale writer gets the events it missed in the same round trip.
    await expect(store.append(s, 0, [event(2)])).resolves.toEqual({
      ok: false,
      reason: "WrongExpectedVersion",
      expectedVersion: 0,
      missed: [{ streamVersion: 1, type: "Happened", data: { n: 1 } }],
    });
    await expect(store.append(s, 5, [event(2)])).resolves.toMatchObject({ ok: false, reason: "WrongExpectedVersion" });
    expect(await store.readStream(s)).toHaveLength(1);
  });

  it("gives events time-ordered ids (UUIDv7) unless one is given", async () => {
    const s = stream();
    await store.append(s, 0, [event(1), event(2)]);
    await store.append(s, 2, [event(3)]);
    const given = randomUUID();
    await store.append(s, 3, [{ ...event(4), eventId: given }]);
    const ids = (await store.readStream(s)).map((e) => e.eventId);
    for (const id of ids.slice(0, 3)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids.slice(0, 3)).toEqual([...ids.slice(0, 3)].sort());
    expect(ids[3]).toBe(given);
  });

  it("keeps a stream to one type: another type is refused, and readStream can ask for a type", async () => {
    const s = stream();
    await store.append(s, 0, [event(1)]);
    await expect(store.append({ ...s, streamType: "Other" }, 1, [event(2)])).resolves.toEqual({ ok: false, reason: "StreamTypeMismatch", streamType: "Test" });
    await expect(store.append({ ...s, streamType: "Other" }, 0, [event(2)])).resolves.toEqual({ ok: false, reason: "StreamTypeMismatch", streamType: "Test" });
    expect(await store.readStream(s)).toHaveLength(1);
    expect(await store.readStream({ ...s, streamType: "Test" })).toHaveLength(1);
    expect(await store.readStream({ ...s, streamType: "Other" })).toHaveLength(0);
  });

  it("claims values unique in the tenant with the events, or appends nothing", async () => {
    const claim = { scope: "name", value: `v-${randomUUID()}` };
    const a = stream();
    const b = stream();
    expect(await store.append(a, 0, [event(1)], undefined, [claim])).toMatchObject({ ok: true });
    expect(await store.append(b, 0, [event(1)], undefined, [{ scope: "other", value: "x" }, claim])).toEqual({ ok: false, reason: "ClaimTaken", claim });
    expect(await store.readStream(b)).toHaveLength(0);
    // A failed append claims nothing.
    expect(await store.append(b, 5, [event(1)], undefined, [{ scope: "name", value: "kept-free" }])).toMatchObject({ ok: false });
    expect(await store.append(stream(), 0, [event(1)], undefined, [{ scope: "name", value: "kept-free" }])).toMatchObject({ ok: true });
    // Claims are per tenant.
    expect(await store.append({ ...stream(), tenantId: "tenant-b" }, 0, [event(1)], undefined, [claim])).toMatchObject({ ok: true });
  });

  it("lets exactly one of many concurrent appenders at the same version win", async () => {
    const s = stream();
    await store.append(s, 0, [event(0)]);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.append(s, 1, [event(i), event(i)])));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await store.readStream(s)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
  });

  it("keeps streams of different tenants apart even with the same id", async () => {
    const id = randomUUID();
    await store.append({ tenantId: "t1", streamType: "Test", streamId: id }, 0, [event(1)]);
    await store.append({ tenantId: "t2", streamType: "Test", streamId: id }, 0, [event(2)]);
    expect((await store.readStream({ tenantId: "t1", streamId: id })).map((e) => e.data)).toEqual([{ n: 1 }]);
    expect((await store.readStream({ tenantId: "t2", streamId: id })).map((e) => e.data)).toEqual([{ n: 2 }]);
  });

  it("writes the command record with the events, and refuses the same command id twice", async () => {
    const s = stream();
    const command = { commandId: randomUUID(), commandType: "Do", payloadHash: "h1", userId: "u", correlationId: "c" };
    const appended = await store.append(s, 0, [event(1), event(2)], command);
    expect(appended.ok).toBe(true);
    const receipt = await new CommandStore(pool).findReceipt(tenantId, command.commandId);
    expect(receipt).toEqual({
      commandId: command.commandId,
      commandType: "Do",
      payloadHash: "h1",
      streamId: s.streamId,
      version: 2,
      position: appended.ok ? appended.position : "",
      events: ["Happened", "Happened"],
    });
    // Same command id again: nothing appended, even on a correct expected version.
    await expect(store.append(s, 2, [event(3)], command)).resolves.toMatchObject({ ok: false, reason: "CommandAlreadyRecorded" });
    expect(await store.readStream(s)).toHaveLength(2);
    expect(await new CommandStore(pool).findReceipt("another-tenant", command.commandId)).toBeNull();
  });

  it("records no command when the expected version is wrong", async () => {
    const s = stream();
    await store.append(s, 0, [event(1)]);
    const commandId = randomUUID();
    const result = await store.append(s, 0, [event(2)], { commandId, commandType: "Do", payloadHash: "h", userId: "u", correlationId: "c" });
    expect(result.ok).toBe(false);
    expect(await new CommandStore(pool).findReceipt(tenantId, commandId)).toBeNull();
  });
});

describe("upcasting on read", () => {
  it("turns stored old versions into the current shape for every reader but the raw one", async () => {
    const upcasting = new EventStore(pool, {
      upcast: ({ type, schemaVersion, data }) =>
        schemaVersion === 1 ? { type, data: { ...(data as object), upgraded: true }, schemaVersion: 2 } : { type, data, schemaVersion },
    });
    const s = stream();
    await upcasting.append(s, 0, [event(1)]);
    expect((await upcasting.readStream(s))[0]).toMatchObject({ data: { n: 1, upgraded: true }, schemaVersion: 2 });
    expect((await upcasting.readStream(s, 0, { raw: true }))[0]).toMatchObject({ data: { n: 1 }, schemaVersion: 1 });
    expect((await upcasting.load(s, 1)).events[0]).toEqual({ streamVersion: 1, type: "Happened", data: { n: 1, upgraded: true } });
    // The watermark is cluster-wide: a transaction another test opened in its own database can
    // hold this one back for a moment. Delayed, never skipped: wait for it.
    const seen = await eventually(async () => (await upcasting.readAll(START, 100_000)).find((e) => e.streamId === s.streamId));
    expect(seen).toMatchObject({ data: { n: 1, upgraded: true }, schemaVersion: 2 });
  });
});

describe("snapshots", () => {
  it("loads the snapshot of the asked schema version and the events after it", async () => {
    const s = stream();
    await store.append(s, 0, [event(1), event(2), event(3)]);
    expect(await store.load(s, 1)).toEqual({
      snapshot: null,
      events: [1, 2, 3].map((n) => ({ streamVersion: n, type: "Happened", data: { n } })),
      head: 3,
      streamType: s.streamType,
    });

    await store.saveSnapshot(s, 2, 1, { sum: 3 });
    const loaded = await store.load(s, 1);
    expect(loaded.snapshot).toEqual({ version: 2, schemaVersion: 1, state: { sum: 3 } });
    expect(loaded.events.map((e) => e.streamVersion)).toEqual([3]);

    // A snapshot of another schema version is ignored: the stream is replayed.
    const otherVersion = await store.load(s, 2);
    expect(otherVersion.snapshot).toBeNull();
    expect(otherVersion.events).toHaveLength(3);

    // Loading past a cached version returns only the newer events.
    expect((await store.load(s, 1, 2)).events.map((e) => e.streamVersion)).toEqual([3]);
  });

  it("reports a snapshot beyond the stream's head as it is, with the head, and can skip snapshots", async () => {
    const s = stream();
    await store.append(s, 0, [event(1), event(2)]);
    await store.saveSnapshot(s, 9, 1, { at: 9 });
    const loaded = await store.load(s, 1);
    expect(loaded).toMatchObject({ snapshot: { version: 9 }, head: 2, events: [] });
    expect((await store.load(s, 1, 0, false)).snapshot).toBeNull();
    expect((await store.load(s, 1, 0, false)).events).toHaveLength(2);
    await store.deleteSnapshot(s, 1);
    expect((await store.load(s, 1)).snapshot).toBeNull();
  });

  it("keeps a snapshot per state schema version", async () => {
    const s = stream();
    await store.append(s, 0, [event(1), event(2)]);
    await store.saveSnapshot(s, 2, 1, { shape: 1 });
    await store.saveSnapshot(s, 1, 2, { shape: 2 });
    expect((await store.load(s, 1)).snapshot).toEqual({ version: 2, schemaVersion: 1, state: { shape: 1 } });
    expect((await store.load(s, 2)).snapshot).toEqual({ version: 1, schemaVersion: 2, state: { shape: 2 } });
  });

  it("loads a stream longer than one row of events (they come in rows of 100): each event once, in order", async () => {
    const s = stream();
    const versions = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    await store.append(s, 0, versions(1, 250).map(event));
    const whole = await store.load(s, 1);
    expect(whole.head).toBe(250);
    expect(whole.events).toEqual(versions(1, 250).map((n) => ({ streamVersion: n, type: "Happened", data: { n } })));
    // From a cached version and from a snapshot that fall inside a row, and at a row's edge.
    expect((await store.load(s, 1, 137)).events.map((e) => e.streamVersion)).toEqual(versions(138, 250));
    expect((await store.load(s, 1, 200)).events.map((e) => e.streamVersion)).toEqual(versions(201, 250));
    await store.saveSnapshot(s, 199, 1, { at: 199 });
    const fromSnapshot = await store.load(s, 1);
    expect(fromSnapshot.snapshot).toMatchObject({ version: 199 });
    expect(fromSnapshot.events.map((e) => e.streamVersion)).toEqual(versions(200, 250));
    expect((await store.load(s, 1, 250)).events).toEqual([]);
  });

  it("never lets an older snapshot overwrite a newer one", async () => {
    const s = stream();
    await store.append(s, 0, [event(1), event(2)]);
    await store.saveSnapshot(s, 2, 1, { at: 2 });
    await store.saveSnapshot(s, 1, 1, { at: 1 });
    expect((await store.load(s, 1)).snapshot).toMatchObject({ version: 2, state: { at: 2 } });
  });
});

describe("reading all events below the safe watermark", () => {
  it("gives a tailing reader every event exactly once, in log order, under concurrent appends", async () => {
    // The true head, not the readable one: the watermark is cluster-wide, so another database's
    // open transaction can keep the previous tests' last events unreadable for a moment, and a
    // start cursor before them would count them as this test's.
    const startCursor: Checkpoint = (await store.head()) ?? START;

    const appenders = 8;
    const total = 5_000;
    const streams = Array.from({ length: 40 }, () => stream());
    const versions = new Map(streams.map((s) => [s.streamId, 0]));
    let written = 0;
    let done = false; // tells the late committers to stop
    let writersFinished = false; // tells the reader that nothing more will be written

    // Each appender writes batches of 1 to 4 events to random streams, retrying on clashes.
    async function appender(id: number) {
      let mine = 0;
      const quota = total / appenders;
      while (mine < quota) {
        const s = streams[Math.floor(Math.random() * streams.length)]!;
        const size = Math.min(1 + Math.floor(Math.random() * 4), quota - mine);
        const expected = versions.get(s.streamId)!;
        const result = await store.append(s, expected, Array.from({ length: size }, () => event(id)));
        if (result.ok) {
          versions.set(s.streamId, result.version);
          mine += size;
          written += size;
        } else {
          const current = await store.readStream(s, expected);
          versions.set(s.streamId, expected + current.length);
        }
      }
    }

    // Transactions that take their id early and insert late: their events sit at higher positions
    // than events committed before them, the order a position-only reader gets wrong.
    let lateCommits = 0;
    async function lateCommitter() {
      const client = await pool.connect();
      try {
        while (!done) {
          await client.query("BEGIN");
          await client.query("SELECT pg_current_xact_id()");
          await sleep(15);
          await client.query(
            `INSERT INTO events (event_id, tenant_id, stream_id, stream_type, stream_version, event_type, schema_version, data, metadata, stream_hash)
             VALUES ($1, $2, $3, 'Test', 1, 'Late', 1, '{}', '{}', 0)`,
            [randomUUID(), tenantId, randomUUID()],
          );
          await sleep(5);
          await client.query("COMMIT");
          lateCommits++;
        }
      } finally {
        client.release();
      }
    }

    // The reader under test, and a naive one that trusts "max position seen". It stops once the
    // writers are done and it has seen as many events as exist after its start (the watermark is
    // cluster-wide, so another database's open transaction may delay the last ones).
    const seen: RecordedEvent[] = [];
    const totalAfterStart = async () =>
      (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE (transaction_id, position) > ($1::bigint, $2::bigint)", [startCursor.transactionId, startCursor.position])).rows[0]!.n;
    const naiveSeen = new Set<string>();
    async function reader() {
      let cursor = startCursor;
      let naiveMax = BigInt(startCursor.position);
      let stalledSince = 0;
      for (;;) {
        const finished = writersFinished;
        const batch = await store.readAll(cursor, 200);
        for (const e of batch) seen.push(e);
        if (batch.length) cursor = { transactionId: batch.at(-1)!.transactionId, position: batch.at(-1)!.position };
        const naive = await pool.query<{ position: string }>(
          "SELECT e.position::text FROM events e WHERE e.position > $1 ORDER BY e.position LIMIT 200",
          [naiveMax.toString()],
        );
        for (const row of naive.rows) {
          naiveSeen.add(row.position);
          naiveMax = BigInt(row.position);
        }
        if (finished && batch.length === 0) {
          if (seen.length >= (await totalAfterStart())) return;
          if (Date.now() - (stalledSince ||= Date.now()) > 30_000) throw new Error("the reader saw no new event for 30 s");
          await sleep(20);
        } else stalledSince = 0;
      }
    }

    const readerDone = reader();
    const late = [lateCommitter(), lateCommitter()];
    await Promise.all(Array.from({ length: appenders }, (_, i) => appender(i)));
    done = true;
    await Promise.all(late);
    writersFinished = true;
    await readerDone;

    const everything = await pool.query<{ position: string }>(
      "SELECT position::text FROM events WHERE (transaction_id, position) > ($1::bigint, $2::bigint)",
      [startCursor.transactionId, startCursor.position],
    );
    const expected = new Set(everything.rows.map((r) => r.position));
    expect(written).toBe(total);
    expect(await store.countAfter(startCursor)).toBe(total + lateCommits);
    expect(await store.countAfter(seen.at(-1)!)).toBe(0);
    expect(expected.size).toBe(total + lateCommits);

    // Exactly once, none skipped.
    const positions = seen.map((e) => e.position);
    expect(new Set(positions).size).toBe(positions.length);
    expect(new Set(positions)).toEqual(expected);
    // In log order.
    for (let i = 1; i < seen.length; i++) {
      expect(compareCheckpoints(seen[i - 1]!, seen[i]!)).toBe(-1);
    }
    // Per stream, in stream order.
    const lastVersion = new Map<string, number>();
    for (const e of seen) {
      expect(e.streamVersion).toBe((lastVersion.get(e.streamId) ?? 0) + 1);
      lastVersion.set(e.streamId, e.streamVersion);
    }
    // The workload really did commit out of position order: the naive reader lost events.
    const naiveMissed = [...expected].filter((p) => !naiveSeen.has(p));
    expect(lateCommits).toBeGreaterThan(0);
    expect(naiveMissed.length).toBeGreaterThan(0);
  });
});

describe("stream hash", () => {
  it("is stored with every event, the same for a whole stream, 28 bits, and what the migration's backfill computes", async () => {
    const a = stream();
    const b = stream();
    await store.append(a, 0, [event(1), event(2)]);
    await store.append(b, 0, [event(1)]);
    const [one, two] = await store.readStream(a);
    const [other] = await store.readStream(b);
    expect(one!.streamHash).toBe(two!.streamHash);
    expect(one!.streamHash).toBeGreaterThanOrEqual(0);
    expect(one!.streamHash).toBeLessThan(2 ** 28);
    expect(other!.streamHash).not.toBe(one!.streamHash); // 1 chance in 2^28 of a false alarm
    const { rows } = await pool.query<{ h: number }>(
      `SELECT ('x' || substr(md5("tenant_id" || '/' || "stream_id"::text), 1, 7))::bit(28)::int AS h FROM events WHERE stream_id = $1 LIMIT 1`,
      [a.streamId],
    );
    expect(rows[0]!.h).toBe(one!.streamHash);
  });
});

describe("delivery's reads (readLane, readAll lean)", () => {
  it("read one lane's wanted events, or all events, in log order, in the shape a job carries", async () => {
    const streams = Array.from({ length: 8 }, () => ({ tenantId, streamType: "LaneTest", streamId: randomUUID() }));
    for (const [i, s] of streams.entries()) {
      await store.append(s, 0, [
        { type: "LaneProbe", schemaVersion: 1, data: { i }, metadata: { correlationId: `c-${i}`, userId: "u" } },
        { type: "LaneOther", schemaVersion: 1, data: { i }, metadata: { userId: "u" } },
      ]);
    }
    const ours = new Set<string>(streams.map((s) => s.streamId));
    // The safe watermark is the cluster's: a transaction open in another database (tests run
    // side by side) holds it back, so wait until all 16 are readable, then take the head.
    const head = await eventually(async () =>
      (await store.readAll(START, 100_000)).filter((e) => ours.has(e.streamId)).length === 16 ? ((await store.readableHead()) ?? undefined) : undefined,
    );
    const byLane = await Promise.all([0, 1].map((lane) => store.readLane(START, head, { lane, lanes: 2 }, { types: ["LaneProbe"], streamTypes: [] }, 100)));
    byLane.forEach((events, lane) => {
      for (const e of events) expect(e.streamHash % 2).toBe(lane);
      expect(events.map((e) => BigInt(e.position))).toEqual(events.map((e) => BigInt(e.position)).sort((a, b) => (a < b ? -1 : 1)));
    });
    const probes = byLane.flat().filter((e) => ours.has(e.streamId));
    expect(probes).toHaveLength(8);
    for (const e of probes) {
      expect(e).toMatchObject({ type: "LaneProbe", eventId: "", streamType: "LaneTest", streamVersion: 1 });
      expect(e.metadata).toEqual({ correlationId: `c-${(e.data as { i: number }).i}` });
      expect(e.recordedAt).toBeInstanceOf(Date);
    }
    // A whole stream type, events without a correlation id included; and the limit holds.
    const all = (await Promise.all([0, 1].map((lane) => store.readLane(START, head, { lane, lanes: 2 }, { types: [], streamTypes: ["LaneTest"] }, 100)))).flat();
    expect(all.filter((e) => ours.has(e.streamId))).toHaveLength(16);
    for (const e of all.filter((x) => x.type === "LaneOther")) expect(e.metadata).toEqual({});
    expect(await store.readLane(START, head, { lane: 0, lanes: 1 }, { types: ["LaneProbe"], streamTypes: [] }, 3)).toHaveLength(3);
    const lean = (await store.readAll(START, 100_000, { lean: true })).filter((e) => ours.has(e.streamId));
    const full = (await store.readAll(START, 100_000)).filter((e) => ours.has(e.streamId));
    expect(lean.map((e) => e.position)).toEqual(full.map((e) => e.position));
    expect(lean.map((e) => ({ ...e, eventId: "", metadata: {} }))).toEqual(full.map((e) => ({ ...e, eventId: "", metadata: {} })));
    for (const [i, e] of lean.entries()) {
      expect(e.eventId).toBe("");
      expect(full[i]!.eventId).not.toBe("");
      expect(e.metadata).toEqual(e.type === "LaneProbe" ? { correlationId: full[i]!.metadata.correlationId } : {});
    }
  });
});
