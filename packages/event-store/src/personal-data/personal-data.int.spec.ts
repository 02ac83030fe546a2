import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { domainEventTypes, familyAggregate, stateSchemaVersions, upcastEvent } from "@coop/domain";
import { createPersonalDataCodec, EventStore, isSealed, sealStoredPersonalData, START, type NewEvent, type StreamRef } from "../index";

let db: TestDatabase;
let pool: ReturnType<typeof createPool>;
const SECRET = "personal-data-tests-secret-0123";

beforeAll(async () => {
  db = await createTestDatabase("coop_test_es_pii");
  pool = createPool(db.url, { max: 8 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** One process's event store: its own key cache, as a gateway or a worker has. */
function processStore(options: { secret?: string; previous?: string[]; cacheMs?: number; forgotten?: StreamRef[] } = {}) {
  const codec = createPersonalDataCodec(
    pool,
    { current: options.secret ?? SECRET, previous: options.previous },
    { cacheMs: options.cacheMs, onForgotten: (s) => options.forgotten?.push({ ...s, streamType: "Family" }) },
  );
  return { store: new EventStore(pool, { codec }), codec };
}

const tenantId = "tenant-pii";
const family = (): StreamRef => ({ tenantId, streamType: "Family", streamId: randomUUID() });
const meta = { commandId: randomUUID(), userId: "u" };
const ev = (type: string, data: unknown): NewEvent => ({ type, schemaVersion: familyAggregate.eventSchemaVersions[type as "ChildAdded"], data, metadata: meta });
const enrolled = (s: StreamRef, name = "Rivera") =>
  ev("FamilyEnrolled", { familyId: s.streamId, familyName: name, enrollmentDate: "2024-06-01", guardians: [{ name: "Ana Rivera", email: "ana@example.org", phone: null }] });

/** Text that looks like a sealed value (`pii1:s` and base64), unique to the stream, as a person might have typed it. */
const lookalikeOf = (s: StreamRef) => `pii1:s${Buffer.from(`typed-${s.streamId}`).toString("base64")}`;

async function storedData(s: StreamRef): Promise<unknown[]> {
  const { rows } = await pool.query<{ data: unknown }>("SELECT data FROM events WHERE tenant_id = $1 AND stream_id = $2 ORDER BY stream_version", [s.tenantId, s.streamId]);
  return rows.map((r) => r.data);
}

describe("personal fields at rest", () => {
  it("are sealed in the events table, with the family's key stored in the same statement; every read opens them", async () => {
    const { store } = processStore();
    const s = family();
    expect(await store.append(s, 0, [enrolled(s), ev("ChildAdded", { childName: "Leo", birthDate: "2018-03-04" })])).toMatchObject({ ok: true, version: 2 });
    expect(await store.append(s, 2, [ev("RiskAssessed", { score: 80, tier: "HIGH", previousScore: 0, factors: { late: 2 } })])).toMatchObject({ ok: true });

    const stored = await storedData(s);
    const text = JSON.stringify(stored);
    for (const secret of ["Rivera", "Ana", "example.org", "Leo", "2018-03-04", "late"]) expect(text).not.toContain(secret);
    expect(stored[0]).toMatchObject({ familyId: s.streamId, enrollmentDate: "2024-06-01", guardians: [{ phone: null }] });
    expect(isSealed((stored[0] as { familyName: unknown }).familyName)).toBe(true);
    expect(stored[2]).toMatchObject({ score: 80, tier: "HIGH" });
    const keys = await pool.query("SELECT key_id, wrapped_key FROM data_keys WHERE tenant_id = $1 AND stream_id = $2", [tenantId, s.streamId]);
    expect(keys.rows).toHaveLength(1);

    // Another process (a cold cache) reads them back in plain, by every read path.
    const other = processStore().store;
    const plain = [
      { familyId: s.streamId, familyName: "Rivera", enrollmentDate: "2024-06-01", guardians: [{ name: "Ana Rivera", email: "ana@example.org", phone: null }] },
      { childName: "Leo", birthDate: "2018-03-04" },
      { score: 80, tier: "HIGH", previousScore: 0, factors: { late: 2 } },
    ];
    expect((await other.readStream(s)).map((e) => e.data)).toEqual(plain);
    expect((await other.load(s, familyAggregate.stateSchemaVersion)).events.map((e) => e.data)).toEqual(plain);
    // readAll stops below the server's oldest running transaction (any database's): wait for it to pass.
    let all: Awaited<ReturnType<typeof other.readAll>> = [];
    for (let deadline = Date.now() + 30_000; all.length < 3 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      all = (await other.readAll(START, 10_000)).filter((e) => e.streamId === s.streamId);
    }
    expect(all.map((e) => e.data)).toEqual(plain);
    expect((await other.readPositions(all.map((e) => e.position))).map((e) => e.data)).toEqual(plain);
    expect((await other.readStream(s, 0, { stored: true }))[0]!.data).toEqual(plain[0]);
    expect((await other.readStream(s, 0, { raw: true })).map((e) => e.data)).toEqual(stored);
  });

  it("a value that only looks sealed (typed by a person) is sealed like any other, and reads back as typed", async () => {
    const { store } = processStore();
    const s = family();
    const lookalike = `pii1:s${Buffer.alloc(40, 7).toString("base64")}`;
    expect(await store.append(s, 0, [enrolled(s, lookalike)])).toMatchObject({ ok: true });
    const stored = (await storedData(s))[0] as { familyName: string };
    expect(isSealed(stored.familyName)).toBe(true);
    expect(stored.familyName).not.toBe(lookalike);
    expect((await processStore().store.readStream(s))[0]!.data).toMatchObject({ familyName: lookalike });
  });

  it("a stale appender catches up from the failed append's missed events, opened", async () => {
    const a = processStore().store;
    const b = processStore().store;
    const s = family();
    await a.append(s, 0, [enrolled(s)]);
    const clash = await b.append(s, 0, [enrolled(s, "Other")]);
    expect(clash).toMatchObject({ ok: false, reason: "WrongExpectedVersion" });
    expect(clash.ok === false && clash.reason === "WrongExpectedVersion" ? clash.missed?.[0]?.data : null).toMatchObject({ familyName: "Rivera" });
    // b made a key for its failed attempt: none was stored but a's.
    expect((await pool.query("SELECT 1 FROM data_keys WHERE stream_id = $1", [s.streamId])).rowCount).toBe(1);
  });

  it("events written before encryption (plaintext) still load as they are, old schema versions included", async () => {
    const plainStore = new EventStore(pool, { upcast: upcastEvent });
    const s = family();
    const v1 = { familyId: s.streamId, familyName: "Legacy", enrollmentDate: "2020-01-01", parentName: "Lee", email: "lee@example.org", phone: "555" };
    await plainStore.append(s, 0, [{ type: "FamilyEnrolled", schemaVersion: 1, data: v1, metadata: meta }]);
    const { store } = processStore();
    expect((await store.readStream(s))[0]!.data).toEqual({ familyId: s.streamId, familyName: "Legacy", enrollmentDate: "2020-01-01", guardians: [{ name: "Lee", email: "lee@example.org", phone: "555" }] });
    expect((await store.readStream(s, 0, { stored: true }))[0]!).toMatchObject({ schemaVersion: 1, data: v1 });
    // The stream gets a key with its first sealed event.
    expect(await store.append(s, 1, [ev("ContactRecorded", { method: "PHONE", contactedOn: "2024-01-01", note: "called" })])).toMatchObject({ ok: true });
    expect(isSealed((await storedData(s))[1] && ((await storedData(s))[1] as { note: unknown }).note)).toBe(true);
  });
});

describe("forgetting a stream", () => {
  it("destroys its key and deletes its snapshots in the append's statement; its values read as erased everywhere", async () => {
    const forgotten: StreamRef[] = [];
    const { store } = processStore({ forgotten });
    const s = family();
    await store.append(s, 0, [enrolled(s), ev("ChildAdded", { childName: "Leo", birthDate: "2018-03-04" })]);
    await store.append(s, 2, [ev("EngagementScoreUpdated", { score: 5, previousScore: 0, factors: { visits: 3 } }), ev("FamilyWithdrawn", { reason: "moved" })]);
    await store.saveSnapshot(s, 4, familyAggregate.stateSchemaVersion, { any: "state" });
    const warm = processStore().store; // another process that has the key cached
    await warm.readStream(s);

    expect(await store.append(s, 4, [ev("FamilyForgotten", {})])).toMatchObject({ ok: true, version: 5 });
    expect(forgotten).toEqual([s]);
    expect((await pool.query("SELECT key_id, wrapped_key, forgotten_at FROM data_keys WHERE stream_id = $1", [s.streamId])).rows).toEqual([
      { key_id: null, wrapped_key: null, forgotten_at: expect.any(Date) },
    ]);
    expect((await pool.query("SELECT 1 FROM snapshots WHERE stream_id = $1", [s.streamId])).rowCount).toBe(0);

    const erased = [
      { familyId: s.streamId, familyName: "(erased)", enrollmentDate: "2024-06-01", guardians: [{ name: "(erased)", email: "(erased)", phone: null }] },
      { childName: "(erased)", birthDate: "(erased)" },
      { score: 5, previousScore: 0, factors: null },
      { reason: "(erased)" },
      {},
    ];
    expect((await store.readStream(s)).map((e) => e.data)).toEqual(erased);
    expect((await processStore().store.load(s, familyAggregate.stateSchemaVersion)).events.map((e) => e.data)).toEqual(erased);
    // The warm process reads plain until it drops the key (the notification), never an error.
    warm.codec!.keys.drop(s.tenantId, s.streamId);
    expect((await warm.readStream(s)).map((e) => e.data)).toEqual(erased);
  });

  it("erases, in the forgetting statement, the plaintext of events written before encryption that were never sealed", async () => {
    const plainStore = new EventStore(pool, { upcast: upcastEvent });
    const s = family();
    const marker = `Plain-${s.streamId.slice(0, 8)}`;
    const v1 = { familyId: s.streamId, familyName: marker, enrollmentDate: "2020-01-01", parentName: `${marker}-parent`, email: `${marker}@example.org`, phone: "555" };
    await plainStore.append(s, 0, [{ type: "FamilyEnrolled", schemaVersion: 1, data: v1, metadata: meta }]);
    await plainStore.append(s, 1, [ev("ContactRecorded", { method: "PHONE", contactedOn: "2024-01-01", note: `${marker} note` }), ev("PaymentReceived", { amountCents: 500, paidOn: "2024-02-01", dueOn: null, method: "CASH", transactionId: "t-1" })]);
    const { store } = processStore();
    // A sealed event after them: the stream got its key with it.
    await store.append(s, 3, [ev("ChildAdded", { childName: `${marker}-child`, birthDate: "2019-05-06" })]);

    expect(await store.append(s, 4, [ev("FamilyForgotten", {})])).toMatchObject({ ok: true, version: 5 });
    const { rows } = await pool.query<{ row: string }>("SELECT e::text AS row FROM events e WHERE stream_id = $1", [s.streamId]);
    expect(rows).toHaveLength(5);
    for (const { row } of rows) expect(row).not.toContain(marker);
    // Only the personal fields changed; the stored schema and the rest stay as they were.
    const stored = await storedData(s);
    expect(stored[0]).toEqual({ ...v1, familyName: "(erased)", parentName: "(erased)", email: "(erased)", phone: "(erased)" });
    expect(stored[2]).toEqual({ amountCents: 500, paidOn: "2024-02-01", dueOn: null, method: "CASH", transactionId: "t-1" });
    expect((await processStore().store.readStream(s)).map((e) => e.data)).toMatchObject([
      { familyName: "(erased)", guardians: [{ name: "(erased)", email: "(erased)", phone: "(erased)" }] },
      { note: "(erased)" },
      { amountCents: 500 },
      { childName: "(erased)", birthDate: "(erased)" },
      {},
    ]);
  });

  it("erases, when forgetting, plaintext of before encryption that only looks sealed (it does not open with the stream's key)", async () => {
    const plainStore = new EventStore(pool, { upcast: upcastEvent });
    const s = family();
    const lookalike = lookalikeOf(s);
    await plainStore.append(s, 0, [enrolled(s, lookalike)]);
    const { store } = processStore();
    await store.append(s, 1, [ev("ChildAdded", { childName: "Mia", birthDate: "2019-05-06" })]);

    expect(await store.append(s, 2, [ev("FamilyForgotten", {})])).toMatchObject({ ok: true, version: 3 });
    const { rows } = await pool.query<{ row: string }>("SELECT e::text AS row FROM events e WHERE stream_id = $1", [s.streamId]);
    expect(rows).toHaveLength(3);
    for (const { row } of rows) expect(row).not.toContain(lookalike);
    expect((await storedData(s))[0]).toMatchObject({ familyName: "(erased)" });
  });

  it("a forget that loses its race appends nothing and rewrites nothing", async () => {
    const plainStore = new EventStore(pool, { upcast: upcastEvent });
    const s = family();
    await plainStore.append(s, 0, [enrolled(s, "StillHere")]);
    const { store } = processStore();
    await store.append(s, 1, [ev("ContactRecorded", { method: "PHONE", contactedOn: "2024-01-01", note: "n" })]);
    expect(await store.append(s, 1, [ev("FamilyForgotten", {})])).toMatchObject({ ok: false, reason: "WrongExpectedVersion" });
    expect((await storedData(s))[0]).toMatchObject({ familyName: "StillHere" });
    expect((await pool.query("SELECT wrapped_key IS NOT NULL AS kept FROM data_keys WHERE stream_id = $1", [s.streamId])).rows).toEqual([{ kept: true }]);
  });

  it("a process that missed the notification drops the key when its cache life ends", async () => {
    const { store } = processStore();
    const s = family();
    await store.append(s, 0, [enrolled(s)]);
    const other = processStore({ cacheMs: 50 }).store;
    expect((await other.readStream(s))[0]!.data).toMatchObject({ familyName: "Rivera" });
    await store.append(s, 1, [ev("FamilyForgotten", {})]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await other.readStream(s))[0]!.data).toMatchObject({ familyName: "(erased)" });
  });
});

describe("rotating DATA_KEY_SECRET", () => {
  it("rewraps every key under the new secret; afterwards the old secret is no longer needed", async () => {
    const isolated = `tenant-rotate-${randomUUID().slice(0, 8)}`;
    const { store } = processStore();
    const s: StreamRef = { tenantId: isolated, streamType: "Family", streamId: randomUUID() };
    await store.append(s, 0, [enrolled(s)]);
    const NEW = "the-new-data-key-secret-0123456789";
    const rotating = processStore({ secret: NEW, previous: [SECRET] });
    const first = await rotating.codec.keys.rewrap();
    expect(first.rewrapped).toBeGreaterThanOrEqual(1);
    expect(first.remaining).toBe(0);
    expect(await rotating.codec.keys.rewrap()).toEqual({ rewrapped: 0, remaining: 0 }); // twice is harmless
    const after = processStore({ secret: NEW }).store;
    expect((await after.readStream(s))[0]!.data).toMatchObject({ familyName: "Rivera" });
    // Put the old secret back for the other tests of this file.
    await processStore({ secret: SECRET, previous: [NEW] }).codec.keys.rewrap();
  });
});

describe("sealing the events written before encryption (the one-off command)", () => {
  it("seals plaintext in place, erases that of forgotten families, deletes old snapshots; running it again changes nothing", async () => {
    const plainStore = new EventStore(pool, { upcast: upcastEvent });
    const kept = family();
    const gone = family();
    for (const s of [kept, gone]) {
      await plainStore.append(s, 0, [enrolled(s, `Marker-${s.streamId.slice(0, 6)}`), ev("ContactRecorded", { method: "PHONE", contactedOn: "2024-01-01", note: "secret note" })]);
    }
    await plainStore.saveSnapshot(kept, 2, 1, { familyName: "old state held names" });
    const { codec } = processStore();
    // Forgotten by a version of the code that left plaintext behind: the key's tombstone, the events as they were.
    await plainStore.append(gone, 2, [ev("FamilyForgotten", {})]);
    await pool.query("INSERT INTO data_keys (tenant_id, stream_id, key_id, wrapped_key, forgotten_at) VALUES ($1, $2, NULL, NULL, now())", [gone.tenantId, gone.streamId]);

    const types = [...domainEventTypes].filter((t) => codec.rules.personalData(t).length > 0 || t === "FamilyEnrolled");
    const first = await sealStoredPersonalData(pool, codec, { eventTypes: types, stateSchemaVersions });
    expect(first.sealed).toBeGreaterThanOrEqual(2);
    expect(first.erased).toBeGreaterThanOrEqual(2);
    expect(first.snapshotsDeleted).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(await storedData(kept))).not.toMatch(/Marker|secret note|Ana|example/);
    expect(JSON.stringify(await storedData(gone))).not.toMatch(/Marker|secret note|Ana|example/);
    expect((await pool.query("SELECT 1 FROM snapshots WHERE stream_id = $1", [kept.streamId])).rowCount).toBe(0);

    const before = await storedData(kept);
    const again = await sealStoredPersonalData(pool, codec, { eventTypes: types, stateSchemaVersions });
    expect(again).toMatchObject({ sealed: 0, erased: 0, keysMade: 0 });
    expect(await storedData(kept)).toEqual(before);
    const reader = processStore().store;
    expect((await reader.readStream(kept)).map((e) => e.data)).toMatchObject([{ familyName: `Marker-${kept.streamId.slice(0, 6)}` }, { note: "secret note" }]);
    expect((await reader.readStream(gone)).map((e) => e.data)).toMatchObject([{ familyName: "(erased)" }, { note: "(erased)" }, {}]);
  });

  it("seals plaintext of before encryption that only looks sealed, in streams with a key and without one", async () => {
    const plainStore = new EventStore(pool, { upcast: upcastEvent });
    const keyed = family();
    const keyless = family();
    for (const s of [keyed, keyless]) await plainStore.append(s, 0, [enrolled(s, lookalikeOf(s))]);
    const { store, codec } = processStore();
    // The keyed stream got its key with a sealed event after the old one: that value is left as it is.
    await store.append(keyed, 1, [ev("ChildAdded", { childName: "Mia", birthDate: "2019-05-06" })]);
    const sealedChild = (await storedData(keyed))[1];
    // Until it runs, they read as typed: they do not open with the key, and a stream with no key never sealed anything.
    for (const s of [keyed, keyless]) {
      expect((await processStore().store.readStream(s))[0]!.data).toMatchObject({ familyName: lookalikeOf(s) });
      expect((await processStore().store.load(s, familyAggregate.stateSchemaVersion)).events[0]!.data).toMatchObject({ familyName: lookalikeOf(s) });
    }

    const types = [...domainEventTypes].filter((t) => codec.rules.personalData(t).length > 0 || t === "FamilyEnrolled");
    const first = await sealStoredPersonalData(pool, codec, { eventTypes: types, stateSchemaVersions });
    expect(first.sealed).toBeGreaterThanOrEqual(2);
    for (const s of [keyed, keyless]) {
      const stored = (await storedData(s))[0] as { familyName: string };
      expect(stored.familyName).not.toBe(lookalikeOf(s));
      expect(isSealed(stored.familyName)).toBe(true);
      expect(JSON.stringify(await storedData(s))).not.toContain(lookalikeOf(s));
      // Read back as typed, by a process that never saw the keys.
      expect((await processStore().store.readStream(s))[0]!.data).toMatchObject({ familyName: lookalikeOf(s) });
    }
    expect((await storedData(keyed))[1]).toEqual(sealedChild);

    const before = [await storedData(keyed), await storedData(keyless)];
    expect(await sealStoredPersonalData(pool, codec, { eventTypes: types, stateSchemaVersions })).toMatchObject({ sealed: 0, erased: 0, keysMade: 0 });
    expect([await storedData(keyed), await storedData(keyless)]).toEqual(before);
  });
});
