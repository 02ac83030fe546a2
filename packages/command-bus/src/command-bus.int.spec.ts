import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { aggregates, familyAggregate, type Aggregate, type CoordinatorCommand, type FamilyCommand } from "@coop/domain";
import { CommandStore, createPersonalDataCodec, EventStore } from "@coop/event-store";
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
  // The production path: personal fields sealed with the family's key (one key cache per bus, as per process).
  const eventStore = new GatedEventStore(pool, options.aggregates ? { upcast: (stored) => stored } : { codec: createPersonalDataCodec(pool, { current: "command-bus-tests-secret-0123" }) });
  const bus = new CommandBus({
    eventStore,
    commandStore: new CommandStore(pool),
    aggregates,
    today: () => "2026-11-23",
    ...options,
  });
  return { bus, pool, eventStore };
}

const tenantId = "tenant-1";
function envelope<C extends FamilyCommand | CoordinatorCommand>(command: C, meta: Partial<{ commandId: string; tenantId: string }> = {}): CommandEnvelope<C> {
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
    expect(snap.rows).toEqual([{ version: 10, schema_version: familyAggregate.stateSchemaVersion }]);

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

/** Counts the statements a pool sends: one per round trip, since the bus never pipelines. */
function countQueries(pool: pg.Pool): { readonly count: number; reset(): void } {
  let count = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    count++;
    return query(...args);
  };
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}

describe("round trips to PostgreSQL", () => {
  it("a warm command is one, a cold one two, a stale cache one more (no lookup before deciding)", async () => {
    const { bus, pool } = newBus();
    const other = newBus().bus;
    const counter = countQueries(pool);
    const familyId = randomUUID();

    counter.reset();
    expect(await bus.dispatch(envelope(enroll(familyId)))).toMatchObject({ ok: true });
    expect(counter.count).toBe(2); // cold: load (empty stream), append

    counter.reset();
    expect(await bus.dispatch(envelope(payment(familyId, "tx-1")))).toMatchObject({ ok: true, receipt: { version: 2 } });
    expect(counter.count).toBe(1); // warm: the append alone

    // Personal fields to seal: the family's key is cached (made by the enrolment), still the append alone.
    counter.reset();
    expect(await bus.dispatch(envelope({ type: "AddChild", payload: { familyId, childName: "Leo", birthDate: "2020-01-01" } }))).toMatchObject({ ok: true });
    expect(counter.count).toBe(1);
    expect(await other.dispatch(envelope({ type: "AddChild", payload: { familyId, childName: "Mia", birthDate: "2021-01-01" } }))).toMatchObject({ ok: true });
    expect(await eventsOf(pool, familyId)).toHaveLength(4);

    // Another process appends: this bus's cache is now stale.
    expect(await other.dispatch(envelope(payment(familyId, "tx-2")))).toMatchObject({ ok: true, receipt: { version: 5 } });
    counter.reset();
    const started = performance.now();
    expect(await bus.dispatch(envelope(payment(familyId, "tx-3")))).toMatchObject({ ok: true, receipt: { version: 6 } });
    expect(counter.count).toBe(2); // the failed append brought the missed event; the second one succeeds
    expect(performance.now() - started).toBeLessThan(1_000); // no backoff sleep after the first clash (a generous bound, not a timing claim)

    // ...and the stale state it caught up with is exact: tx-2 (appended elsewhere) is a duplicate.
    expect(await bus.dispatch(envelope(payment(familyId, "tx-2")))).toMatchObject({ ok: false, rejection: { reason: "DUPLICATE_TRANSACTION" } });
    expect(await eventsOf(pool, familyId)).toHaveLength(6);
  });

  it("a refusal costs one round trip more: the receipt lookup and the stream's version together", async () => {
    const { bus, pool } = newBus();
    const counter = countQueries(pool);
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    await bus.dispatch(envelope(payment(familyId, "tx-1")));
    counter.reset();
    expect(await bus.dispatch(envelope(payment(familyId, "tx-1")))).toMatchObject({ ok: false, rejection: { reason: "DUPLICATE_TRANSACTION" } });
    expect(counter.count).toBe(1);
  });
});

describe("stream identity: a stream belongs to one type", () => {
  const register = (coordinatorId: string, name: string) => ({ type: "RegisterCoordinator" as const, payload: { coordinatorId, name, caseloadLimit: 10 } });
  const setLimit = (coordinatorId: string) => ({ type: "SetCaseloadLimit" as const, payload: { coordinatorId, caseloadLimit: 5 } });

  it("the event store refuses events of another type on an existing stream, and the family goes on", async () => {
    const { bus, eventStore, pool } = newBus();
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    const foreign = await eventStore.append({ tenantId, streamType: "Billing", streamId: familyId }, 1, [
      { type: "InvoiceIssued", schemaVersion: 1, data: {}, metadata: {} },
    ]);
    expect(foreign).toEqual({ ok: false, reason: "StreamTypeMismatch", streamType: "Family" });
    expect(await eventsOf(pool, familyId)).toHaveLength(1);
    expect(await newBus().bus.dispatch(envelope(payment(familyId, "tx-1")))).toMatchObject({ ok: true, receipt: { version: 2 } });
  });

  it("a command for one aggregate on another's id: NOT_FOUND, or ID_IN_USE for one that would create it", async () => {
    const { bus, pool } = newBus();
    const familyId = randomUUID();
    const coordinatorId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    expect(await bus.dispatch(envelope(register(coordinatorId, `Coordinator ${coordinatorId}`)))).toMatchObject({ ok: true, receipt: { version: 1 } });

    for (const b of [bus, newBus().bus]) {
      expect(await b.dispatch(envelope(register(familyId, `Other ${randomUUID()}`)))).toMatchObject({ ok: false, rejection: { type: "IdInUse" } });
      expect(await b.dispatch(envelope(setLimit(familyId)))).toMatchObject({ ok: false, rejection: { type: "NotFound" } });
      expect(await b.dispatch(envelope(enroll(coordinatorId)))).toMatchObject({ ok: false, rejection: { type: "IdInUse" } });
      expect(await b.dispatch(envelope(payment(coordinatorId, "tx")))).toMatchObject({ ok: false, rejection: { type: "NotFound" } });
    }
    const types = await pool.query<{ stream_id: string; stream_type: string }>(
      "SELECT DISTINCT stream_id::text, stream_type FROM events WHERE stream_id = ANY($1::uuid[]) ORDER BY stream_type",
      [[familyId, coordinatorId]],
    );
    expect(types.rows).toEqual([
      { stream_id: coordinatorId, stream_type: "Coordinator" },
      { stream_id: familyId, stream_type: "Family" },
    ]);
  });

  it("a unique claim (a coordinator's name) is refused to a second stream, kept by a repeat of its own command", async () => {
    const { bus, pool } = newBus();
    const name = `Sam ${randomUUID().slice(0, 8)}`;
    const first = envelope(register(randomUUID(), name));
    expect(await bus.dispatch(first)).toMatchObject({ ok: true });
    expect(await newBus().bus.dispatch(envelope(register(randomUUID(), ` ${name} `)))).toMatchObject({
      ok: false,
      rejection: { type: "Refused", reason: "COORDINATOR_EXISTS" },
    });
    expect(await newBus().bus.dispatch(first)).toMatchObject({ ok: true, repeated: true });
    // Another tenant may use the name.
    expect(await bus.dispatch(envelope(register(randomUUID(), name), { tenantId: "tenant-2" }))).toMatchObject({ ok: true });
    const claims = await pool.query("SELECT count(*)::int AS n FROM unique_claims WHERE value = $1", [name]);
    expect(claims.rows[0].n).toBe(2);
  });
});

describe("snapshots that cannot be trusted are deleted and the stream replayed", () => {
  async function familyWithSnapshot() {
    const { bus, pool } = newBus({ snapshotEvery: 2 });
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    await bus.dispatch(envelope(payment(familyId, "tx-a")));
    await bus.dispatch(envelope(payment(familyId, "tx-b")));
    await bus.dispatch(envelope(payment(familyId, "tx-c")));
    await sleep(50); // snapshots are written off the command's path
    const snap = await pool.query("SELECT version FROM snapshots WHERE stream_id = $1", [familyId]);
    expect(snap.rows).toEqual([{ version: 4 }]);
    return { pool, familyId };
  }
  const snapshots = async (pool: pg.Pool, familyId: string) => (await pool.query("SELECT version FROM snapshots WHERE stream_id = $1", [familyId])).rows;

  it("a state that is no state at all ({}): not INTERNAL_SERVER_ERROR on every command", async () => {
    const { pool, familyId } = await familyWithSnapshot();
    await pool.query("UPDATE snapshots SET state = '{}' WHERE stream_id = $1", [familyId]);
    expect(await newBus().bus.dispatch(envelope(payment(familyId, "tx-d")))).toMatchObject({ ok: true, receipt: { version: 5 } });
    expect(await snapshots(pool, familyId)).toEqual([]);
  });

  it("a snapshot ahead of the stream's head: not CONCURRENCY_CONFLICT every time", async () => {
    const { pool, familyId } = await familyWithSnapshot();
    await pool.query("UPDATE snapshots SET version = 40 WHERE stream_id = $1", [familyId]);
    expect(await newBus().bus.dispatch(envelope(payment(familyId, "tx-d")))).toMatchObject({ ok: true, receipt: { version: 5 } });
    expect(await snapshots(pool, familyId)).toEqual([]);
  });

  it("a snapshot with its transaction ids emptied: a duplicate transaction is still refused", async () => {
    const { pool, familyId } = await familyWithSnapshot();
    const empty = JSON.stringify(Array.from({ length: 64 }, () => []));
    await pool.query("UPDATE snapshots SET state = jsonb_set(state, '{paymentTransactionIds}', $2::jsonb) WHERE stream_id = $1", [familyId, empty]);
    expect(await newBus().bus.dispatch(envelope(payment(familyId, "tx-b")))).toMatchObject({ ok: false, rejection: { reason: "DUPLICATE_TRANSACTION" } });
    expect(await eventsOf(pool, familyId)).toHaveLength(4);
  });

  it("keeps one snapshot per state schema version: two versions of the code do not overwrite each other's", async () => {
    const { pool, familyId } = await familyWithSnapshot();
    // The other version's snapshot, at a later stream version: ours must not be replaced by it, nor used.
    await pool.query(
      `INSERT INTO snapshots (tenant_id, stream_id, stream_type, version, schema_version, state)
       SELECT tenant_id, stream_id, stream_type, 4, schema_version + 1, '{"otherShape":true}' FROM snapshots WHERE stream_id = $1`,
      [familyId],
    );
    const { bus } = newBus({ snapshotEvery: 2 });
    expect(await bus.dispatch(envelope(payment(familyId, "tx-d")))).toMatchObject({ ok: true, receipt: { version: 5 } });
    expect(await bus.dispatch(envelope(payment(familyId, "tx-e")))).toMatchObject({ ok: true, receipt: { version: 6 } });
    await sleep(50);
    const rows = await pool.query("SELECT version, schema_version FROM snapshots WHERE stream_id = $1 ORDER BY schema_version", [familyId]);
    expect(rows.rows).toEqual([
      { version: 6, schema_version: familyAggregate.stateSchemaVersion },
      { version: 4, schema_version: familyAggregate.stateSchemaVersion + 1 },
    ]);
  });
});

describe("a refusal decided from cached state", () => {
  // A toy aggregate whose refusal can stop being true: a gate that is locked and unlocked.
  type GateCommand = { type: "OpenGate" | "LockGate" | "UnlockGate" | "PassGate"; payload: { gateId: string } };
  const gate: Aggregate = {
    streamType: "Gate",
    stateSchemaVersion: 1,
    commandTypes: ["OpenGate", "LockGate", "UnlockGate", "PassGate"],
    eventTypes: ["GateOpened", "GateLocked", "GateUnlocked", "GatePassed"],
    eventSchemaVersions: { GateOpened: 1, GateLocked: 1, GateUnlocked: 1, GatePassed: 1 },
    initialState: () => ({ locked: false }),
    isValidState: (s): s is { locked: boolean } => typeof s === "object" && s !== null,
    streamIdOf: (c) => (c as GateCommand).payload.gateId,
    validate: (c) => ({ ok: true, value: c }),
    decide(c, state) {
      const s = state as { locked: boolean };
      if (c.type === "PassGate" && s.locked) return { ok: false, rejection: { type: "Refused", reason: "LOCKED", message: "the gate is locked" } };
      const type = { OpenGate: "GateOpened", LockGate: "GateLocked", UnlockGate: "GateUnlocked", PassGate: "GatePassed" }[c.type as GateCommand["type"]];
      return { ok: true, events: [{ type, data: {} }] };
    },
    evolve: (state, e) => (e.type === "GateLocked" ? { locked: true } : e.type === "GateUnlocked" ? { locked: false } : state),
    upcast: (stored) => stored as never,
    personalData: () => [],
    forgetsSubject: () => false,
    claimsOf: () => [],
  };

  it("is only given once the stream is known to be at the cached version: else it is decided again", async () => {
    const a = newBus({ aggregates: [gate] });
    const b = newBus({ aggregates: [gate] });
    const gateId = randomUUID();
    const send = (bus: CommandBus, type: GateCommand["type"]) => bus.dispatch(envelope({ type, payload: { gateId } } as never));
    expect(await send(a.bus, "OpenGate")).toMatchObject({ ok: true });
    expect(await send(a.bus, "LockGate")).toMatchObject({ ok: true, receipt: { version: 2 } });
    expect(await send(a.bus, "PassGate")).toMatchObject({ ok: false, rejection: { reason: "LOCKED" } });
    // b unlocks: a's cached state (locked) is stale, and would refuse wrongly.
    expect(await send(b.bus, "UnlockGate")).toMatchObject({ ok: true, receipt: { version: 3 } });
    expect(await send(a.bus, "PassGate")).toMatchObject({ ok: true, receipt: { version: 4 } });
  });
});

describe("personal data", () => {
  it("a snapshot holds no personal field; the events hold none in plain", async () => {
    const { bus, pool } = newBus({ snapshotEvery: 3 });
    const familyId = randomUUID();
    const marker = `Zq${randomUUID().slice(0, 8)}`;
    await bus.dispatch(envelope({ type: "EnrollFamily", payload: { familyId, familyName: marker, enrollmentDate: "2026-09-01", parentName: `${marker} P`, email: `${marker}@example.com`, phone: "555 0101" } }));
    await bus.dispatch(envelope({ type: "AddChild", payload: { familyId, childName: `${marker} C`, birthDate: "2020-01-01" } }));
    await bus.dispatch(envelope({ type: "AssessRisk", payload: { familyId, score: 80, factors: { why: marker } } }));
    await bus.dispatch(envelope({ type: "RecordContact", payload: { familyId, method: "PHONE", contactedOn: "2026-11-01", note: marker } }));
    await sleep(50); // snapshots are written off the command's path
    const snapshots = await pool.query<{ state: unknown }>("SELECT state FROM snapshots WHERE stream_id = $1", [familyId]);
    expect(snapshots.rows).toHaveLength(1);
    const state = JSON.stringify(snapshots.rows[0]!.state);
    for (const personal of [marker, "555 0101", "2020-01-01", "example.com"]) expect(state).not.toContain(personal);
    const events = await pool.query<{ data: string }>("SELECT data::text AS data FROM events WHERE stream_id = $1", [familyId]);
    expect(events.rows.map((r) => r.data).join("\n")).not.toContain(marker);
  });

  it("forgetting: FamilyForgotten appended, the key destroyed; then every command is FAMILY_FORGOTTEN, and a resent forget gets its first receipt", async () => {
    const { bus, pool } = newBus({ snapshotEvery: 2 });
    const familyId = randomUUID();
    await bus.dispatch(envelope(enroll(familyId)));
    await bus.dispatch(envelope(payment(familyId, "tx-1")));
    await sleep(50);
    const forget = envelope({ type: "ForgetFamily", payload: { familyId } } as FamilyCommand);
    expect(await bus.dispatch(forget)).toMatchObject({ ok: true, receipt: { version: 3, events: ["FamilyForgotten"] } });
    expect((await pool.query("SELECT wrapped_key, forgotten_at FROM data_keys WHERE stream_id = $1", [familyId])).rows).toEqual([{ wrapped_key: null, forgotten_at: expect.any(Date) }]);
    expect(await bus.dispatch(forget)).toMatchObject({ ok: true, repeated: true, receipt: { version: 3 } });
    const cold = newBus().bus;
    for (const command of [enroll(familyId), payment(familyId, "tx-2"), { type: "ForgetFamily", payload: { familyId } } as FamilyCommand]) {
      expect(await bus.dispatch(envelope(command))).toMatchObject({ ok: false, rejection: { type: "Refused", reason: "FAMILY_FORGOTTEN" } });
      expect(await cold.dispatch(envelope(command))).toMatchObject({ ok: false, rejection: { type: "Refused", reason: "FAMILY_FORGOTTEN" } });
    }
    expect(await eventsOf(pool, familyId)).toHaveLength(3);
  });
});
