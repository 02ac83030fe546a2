import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { familyDecider, type FamilyCommand } from "@coop/domain";
import { CommandStore, EventStore } from "@coop/event-store";
import { CommandBus, type CommandBusOptions, type CommandEnvelope } from "./index";

let db: TestDatabase;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await createTestDatabase("coop_test_bus");
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  await db?.drop();
});

/** An event store whose loads can wait at a gate, before or after reading: forces one interleaving of two buses. */
class GatedEventStore extends EventStore {
  private gate: { at: "before" | "after"; opened: Promise<void>; arrived: () => void } | null = null;
  /** Resolves once a load has reached the gate. */
  waiting: Promise<void> = Promise.resolve();

  /** Holds the next loads at the gate until the returned function opens it. */
  close(at: "before" | "after"): () => void {
    let open!: () => void;
    let arrived!: () => void;
    this.waiting = new Promise<void>((resolve) => (arrived = resolve));
    this.gate = { at, opened: new Promise<void>((resolve) => (open = resolve)), arrived };
    return () => {
      this.gate = null;
      open();
    };
  }

  private async pass(at: "before" | "after", gate: GatedEventStore["gate"]) {
    if (gate?.at !== at) return;
    gate.arrived();
    await gate.opened;
  }

  override async load<S>(...args: Parameters<EventStore["load"]>) {
    const gate = this.gate;
    await this.pass("before", gate);
    const loaded = await super.load<S>(...args);
    await this.pass("after", gate);
    return loaded;
  }
}

function newBus(options: Partial<CommandBusOptions> & { applicationName?: string; max?: number } = {}) {
  const pool = createPool(db.url, { max: options.max ?? 10, application_name: options.applicationName ?? "bus-test" });
  pools.push(pool);
  const eventStore = new GatedEventStore(pool, { upcast: familyDecider.upcast });
  const bus = new CommandBus({
    eventStore,
    commandStore: new CommandStore(pool),
    aggregates: [{ decider: familyDecider, streamIdOf: (c: FamilyCommand) => c.payload.familyId }],
    today: () => "2026-11-23",
    ...options,
  });
  return { bus, pool, eventStore };
}

const tenantId = "tenant-1";
function envelope<C extends FamilyCommand>(command: C, meta: Partial<{ commandId: string; tenantId: string }> = {}): CommandEnvelope<C> {
  return { commandId: randomUUID(), tenantId, userId: "user-1", correlationId: randomUUID(), ...meta, ...command };
}
const enroll = (familyId: string): FamilyCommand => ({
  type: "EnrollFamily",
  payload: { familyId, familyName: "Martinez", enrollmentDate: "2026-09-01", parentName: "Maria", email: "maria@example.com", phone: null },
});
const payment = (familyId: string, transactionId: string): FamilyCommand => ({
  type: "RecordPayment",
  payload: { familyId, amountCents: 12_500, paidOn: "2026-11-01", dueOn: null, method: "CARD", transactionId },
});

async function eventsOf(pool: pg.Pool, familyId: string, tenant = tenantId) {
  const rows = await pool.query<{ stream_version: number; event_type: string; metadata: Record<string, string> }>(
    "SELECT stream_version, event_type, metadata FROM events WHERE tenant_id = $1 AND stream_id = $2 ORDER BY stream_version",
    [tenant, familyId],
  );
  return rows.rows;
}

describe("dispatch", () => {
  it("appends the decided events and returns a receipt with metadata on every event", async () => {
    const { bus, pool } = newBus();
    const familyId = randomUUID();
    const first = envelope(enroll(familyId));
    const result = await bus.dispatch(first);
    expect(result).toMatchObject({ ok: true, repeated: false, receipt: { commandId: first.commandId, streamId: familyId, version: 1, events: ["FamilyEnrolled"] } });
    const paid = await bus.dispatch({ ...envelope(payment(familyId, "tx-1")), causationId: "cause-1" });
    expect(paid).toMatchObject({ ok: true, receipt: { version: 2, events: ["PaymentReceived"] } });
    if (!result.ok || !paid.ok) throw new Error("unreachable");
    expect(BigInt(paid.receipt.position)).toBeGreaterThan(BigInt(result.receipt.position));

    const events = await eventsOf(pool, familyId);
    expect(events.map((e) => e.event_type)).toEqual(["FamilyEnrolled", "PaymentReceived"]);
    expect(events[0]!.metadata).toMatchObject({ commandId: first.commandId, correlationId: first.correlationId, causationId: first.commandId, userId: "user-1", tenantId });
    expect(events[1]!.metadata).toMatchObject({ causationId: "cause-1" });
  });

  it("returns domain rejections as values and appends nothing", async () => {
    const { bus, pool } = newBus();
    const familyId = randomUUID();
    expect(await bus.dispatch(envelope(payment(familyId, "tx")))).toMatchObject({ ok: false, rejection: { type: "NotFound" } });
    await bus.dispatch(envelope(enroll(familyId)));
    expect(await bus.dispatch(envelope(enroll(familyId)))).toMatchObject({ ok: false, rejection: { type: "Refused", reason: "ALREADY_ENROLLED" } });
    expect(await bus.dispatch(envelope({ type: "AddChild", payload: { familyId, childName: "  ", birthDate: "2020-01-01" } }))).toMatchObject({
      ok: false,
      rejection: { type: "InvalidInput", field: "childName" },
    });
    expect(await eventsOf(pool, familyId)).toHaveLength(1);
    const commands = await pool.query("SELECT count(*)::int AS n FROM commands WHERE stream_id = $1", [familyId]);
    expect(commands.rows[0].n).toBe(1);
  });

  it("treats a command id as an idempotency key", async () => {
    const { bus, pool } = newBus();
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    const pay = envelope(payment(familyId, "tx-1"));
    const first = await bus.dispatch(pay);
    // The same command again, even after the family was withdrawn: the first receipt, nothing appended.
    await bus.dispatch(envelope({ type: "WithdrawFamily", payload: { familyId, reason: "moved" } }));
    const again = await bus.dispatch({ ...pay, correlationId: randomUUID() });
    expect(first.ok && again.ok && again.repeated).toBe(true);
    if (first.ok && again.ok) expect(again.receipt).toEqual(first.receipt);
    // Another bus (a cold process) gives the same answer.
    const other = newBus().bus;
    expect(await other.dispatch(pay)).toMatchObject({ ok: true, repeated: true });
    // Other input or another command under the same id: refused.
    expect(await bus.dispatch({ ...pay, ...payment(familyId, "tx-2") })).toMatchObject({ ok: false, rejection: { type: "CommandIdReused" } });
    expect(await bus.dispatch({ ...pay, ...enroll(randomUUID()) })).toMatchObject({ ok: false, rejection: { type: "CommandIdReused" } });
    expect((await eventsOf(pool, familyId)).map((e) => e.event_type)).toEqual(["FamilyEnrolled", "PaymentReceived", "FamilyWithdrawn"]);
  });

  it("skips the lookup for a freshly generated command id, and the store still refuses a reuse", async () => {
    const { bus, pool } = newBus();
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    const fresh = { ...envelope(payment(familyId, "tx-fresh")), commandIdIsNew: true };
    expect(await bus.dispatch(fresh)).toMatchObject({ ok: true, repeated: false, receipt: { version: 2 } });
    // Misused on an id that was in fact used: the unique record still stops a second append.
    expect(await bus.dispatch({ ...fresh, ...payment(familyId, "tx-other") })).toMatchObject({ ok: false, rejection: { type: "CommandIdReused" } });
    expect(await eventsOf(pool, familyId)).toHaveLength(2);
  });

  it("returns one receipt when the same new command arrives twice at once", async () => {
    const { bus } = newBus();
    const other = newBus().bus;
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    const pay = envelope(payment(familyId, "tx-same"));
    const results = await Promise.all([bus.dispatch(pay), other.dispatch(pay), bus.dispatch(pay)]);
    expect(results.every((r) => r.ok), JSON.stringify(results)).toBe(true);
    expect(new Set(results.map((r) => (r.ok ? r.receipt.version : 0)))).toEqual(new Set([2]));
    expect(results.filter((r) => r.ok && !r.repeated)).toHaveLength(1);
  });

  it("a repeat that loads the state its first attempt produced gets the receipt, not the rule it breaks", async () => {
    // The second bus looks the command id up (not there yet), then the first bus appends the
    // command, then the second loads: its state already holds this very payment.
    const first = newBus().bus;
    const second = newBus();
    const familyId = randomUUID();
    await first.dispatch(envelope(enroll(familyId)));
    const pay = envelope(payment(familyId, "tx-raced"));
    const open = second.eventStore.close("before");
    const late = second.bus.dispatch(pay);
    await second.eventStore.waiting;
    const won = await first.dispatch(pay);
    open();
    expect(won).toMatchObject({ ok: true, repeated: false, receipt: { version: 2 } });
    expect(await late).toMatchObject({ ok: true, repeated: true, receipt: { version: 2 } });
    expect(await eventsOf(second.pool, familyId)).toHaveLength(2);
  });

  it("scopes everything by tenant: another tenant's family is not found", async () => {
    const { bus, pool } = newBus();
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    expect(await bus.dispatch(envelope(payment(familyId, "tx"), { tenantId: "tenant-2" }))).toMatchObject({ ok: false, rejection: { type: "NotFound" } });
    // ...and may enroll the same id independently.
    expect(await bus.dispatch(envelope(enroll(familyId), { tenantId: "tenant-2" }))).toMatchObject({ ok: true });
    expect(await eventsOf(pool, familyId, "tenant-2")).toHaveLength(1);
    expect(await eventsOf(pool, familyId)).toHaveLength(1);
  });
});

describe("concurrency across processes", () => {
  it("50 concurrent payments from two buses with their own pools give versions 2 to 51, no gaps", async () => {
    const a = newBus({ applicationName: "bus-a" });
    const b = newBus({ applicationName: "bus-b" });
    const familyId = randomUUID();
    await a.bus.dispatch(envelope(enroll(familyId)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a.bus : b.bus).dispatch(envelope(payment(familyId, `tx-${i}`)))),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]); // no conflict: retries absorb the clashes
    const events = await eventsOf(a.pool, familyId);
    expect(events.map((e) => e.stream_version)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => (r.ok ? r.receipt.version : -1))).size).toBe(50);
  });

  it("with one transaction id sent twice: 49 payments and one DUPLICATE_TRANSACTION", async () => {
    const a = newBus({ applicationName: "bus-a" });
    const b = newBus({ applicationName: "bus-b" });
    const familyId = randomUUID();
    await a.bus.dispatch(envelope(enroll(familyId)));
    const ids = Array.from({ length: 50 }, (_, i) => `tx-${i}`);
    ids[37] = "tx-3";
    const results = await Promise.all(ids.map((tx, i) => (i % 2 ? a.bus : b.bus).dispatch(envelope(payment(familyId, tx)))));
    const refused = results.filter((r) => !r.ok);
    expect(refused, JSON.stringify(refused)).toHaveLength(1);
    expect(refused[0]).toMatchObject({ rejection: { type: "Refused", reason: "DUPLICATE_TRANSACTION" } });
    expect((await eventsOf(a.pool, familyId)).map((e) => e.stream_version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("gives CONCURRENCY_CONFLICT when retries run out on a busy stream, and retries otherwise", async () => {
    // b decides on version 1 while a appends version 2: b's append clashes, every time.
    const clash = async (maxRetries: number) => {
      const a = newBus({ applicationName: "bus-a", maxRetries, cacheSize: 0 });
      const b = newBus({ applicationName: "bus-b", maxRetries, cacheSize: 0 });
      const familyId = randomUUID();
      await a.bus.dispatch(envelope(enroll(familyId)));
      const open = b.eventStore.close("after");
      const late = b.bus.dispatch(envelope(payment(familyId, "tx-b")));
      await b.eventStore.waiting;
      expect(await a.bus.dispatch(envelope(payment(familyId, "tx-a")))).toMatchObject({ ok: true, receipt: { version: 2 } });
      open();
      return { result: await late, events: await eventsOf(a.pool, familyId) };
    };
    const refused = await clash(0);
    expect(refused.result).toMatchObject({ ok: false, rejection: { type: "ConcurrencyConflict" } });
    expect(refused.events).toHaveLength(2); // nothing of b's
    const retried = await clash(1);
    expect(retried.result).toMatchObject({ ok: true, receipt: { version: 3 } });
    expect(retried.events).toHaveLength(3);
  });
});

describe("snapshots", () => {
  it("snapshots every N events with the state schema version, and a cold bus loads from it", async () => {
    const { bus, pool } = newBus({ snapshotEvery: 5 });
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    for (let i = 0; i < 11; i++) await bus.dispatch(envelope(payment(familyId, `tx-${i}`)));
    await sleep(50); // snapshots are written off the command's path
    const snap = await pool.query("SELECT version, schema_version FROM snapshots WHERE tenant_id = $1 AND stream_id = $2", [tenantId, familyId]);
    expect(snap.rows).toEqual([{ version: 10, schema_version: familyDecider.stateSchemaVersion }]);

    // A cold bus decides from snapshot + later events: a duplicate from before the snapshot is caught.
    const cold = newBus({ snapshotEvery: 5 }).bus;
    expect(await cold.dispatch(envelope(payment(familyId, "tx-2")))).toMatchObject({ ok: false, rejection: { reason: "DUPLICATE_TRANSACTION" } });
    expect(await cold.dispatch(envelope(payment(familyId, "tx-10")))).toMatchObject({ ok: false, rejection: { reason: "DUPLICATE_TRANSACTION" } });
    expect(await cold.dispatch(envelope(payment(familyId, "tx-new")))).toMatchObject({ ok: true, receipt: { version: 13 } });
  });

  it("ignores a snapshot of another state schema version and replays the stream", async () => {
    const { bus, pool } = newBus({ snapshotEvery: 2 });
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    await bus.dispatch(envelope(payment(familyId, "tx-a")));
    await sleep(50);
    // A snapshot from another (say, older) state shape, whose content would be wrong today.
    await pool.query("UPDATE snapshots SET schema_version = schema_version + 100, state = '{\"garbage\":true}' WHERE stream_id = $1", [familyId]);
    const cold = newBus().bus;
    expect(await cold.dispatch(envelope(payment(familyId, "tx-a")))).toMatchObject({ ok: false, rejection: { reason: "DUPLICATE_TRANSACTION" } });
    expect(await cold.dispatch(envelope(payment(familyId, "tx-b")))).toMatchObject({ ok: true, receipt: { version: 3 } });
  });
});

describe("a database connection lost mid-command", () => {
  it("fails the command clearly, leaves no event and no processed command, and the next command succeeds", async () => {
    const { bus } = newBus({ applicationName: "bus-doomed" });
    const observer = createPool(db.url, { max: 2, application_name: "bus-observer" });
    pools.push(observer);
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));

    // Hold back inserts into the event store so the command is caught between its reads and its append.
    const blocker = await observer.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE");
    const doomed = envelope(payment(familyId, "tx-doomed"));
    const outcome = bus.dispatch(doomed).then(
      (value) => ({ value }),
      (error: Error) => ({ error }),
    );
    // Wait until the bus's append is waiting on the lock, then kill the bus's connections.
    for (let i = 0; i < 200; i++) {
      const waiting = await observer.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'bus-doomed' AND wait_event_type = 'Lock'");
      if (waiting.rows[0].n > 0) break;
      await sleep(10);
    }
    await observer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bus-doomed'");
    const result = await outcome;
    await blocker.query("ROLLBACK");
    blocker.release();

    expect("error" in result).toBe(true);
    if ("error" in result) {
      expect(result.error.name).toBe("CommandInfrastructureError");
      expect(result.error.message).toMatch(/RecordPayment could not be stored/);
    }
    expect((await eventsOf(observer, familyId)).map((e) => e.event_type)).toEqual(["FamilyEnrolled"]);
    const recorded = await observer.query("SELECT count(*)::int AS n FROM commands WHERE command_id = $1", [doomed.commandId]);
    expect(recorded.rows[0].n).toBe(0);

    // The pool replaces the dead connections; the next command (even the same one) goes through.
    expect(await bus.dispatch(doomed)).toMatchObject({ ok: true, repeated: false, receipt: { version: 2 } });
    expect(await bus.dispatch(envelope(payment(familyId, "tx-after")))).toMatchObject({ ok: true, receipt: { version: 3 } });
  });
});
