import { randomUUID } from "node:crypto";
import type pg from "pg";
import { familyAggregate, type FamilyEvent, type FamilyState } from "@coop/domain";
import { EventStore, type NewEvent, type StreamRef } from "@coop/event-store";
import { round, timeMsOf as timeMs } from "../stats";

const EVENTS = 10_000;

/**
 * One family with 10,000 events: 25 years of a busy family at about 400 events a year. Per 100
 * events: 3 payments (monthly), 75 engagement updates (scored every school day), 13 risk
 * assessments (weekly), 6 contacts, 2 coordinator changes and 1 child.
 * The mix matters to snapshots: the state keeps every payment's transaction id (the duplicate
 * rule needs them), so `paymentsOnly` (a stream of 10,000 payments) is measured too, as the worst case.
 */
export async function writeLongStream(store: EventStore, tenantId: string, paymentsOnly = false): Promise<StreamRef> {
  const stream: StreamRef = { tenantId, streamType: familyAggregate.streamType, streamId: randomUUID() };
  const events: FamilyEvent[] = [
    {
      type: "FamilyEnrolled",
      data: { familyId: stream.streamId, familyName: "Longstream", enrollmentDate: "2020-01-01", guardians: [{ name: "Pat", email: "pat@example.com", phone: null }] },
    },
  ];
  for (let i = 1; i < EVENTS; i++) {
    const day = `2025-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, "0")}`;
    const slot = paymentsOnly ? 0 : i % 100;
    if (slot < 3) events.push({ type: "PaymentReceived", data: { amountCents: 1000 + i, paidOn: day, dueOn: null, method: "ACH", transactionId: `long-${i}` } });
    else if (slot < 78) events.push({ type: "EngagementScoreUpdated", data: { score: i % 101, previousScore: (i - 1) % 101, factors: { logins: i % 7 } } });
    else if (slot < 84) events.push({ type: "ContactRecorded", data: { method: "PHONE", contactedOn: day, note: "check-in" } });
    else if (slot < 97) events.push({ type: "RiskAssessed", data: { score: i % 101, tier: "LOW", previousScore: 0, factors: null } });
    else if (slot < 99) events.push({ type: "CoordinatorAssigned", data: { coordinator: `coordinator-${i % 5}`, previousCoordinator: null } });
    else events.push({ type: "ChildAdded", data: { childName: `Child ${i}`, birthDate: "2015-05-05" } });
  }
  const toNew = (e: FamilyEvent): NewEvent => ({
    type: e.type,
    schemaVersion: familyAggregate.eventSchemaVersions[e.type],
    data: e.data,
    metadata: { commandId: randomUUID(), correlationId: "bench", userId: "bench", tenantId },
  });
  for (let from = 0; from < events.length; from += 500) {
    const result = await store.append(stream, from, events.slice(from, from + 500).map(toNew));
    if (!result.ok) throw new Error(`could not write the long stream: ${result.reason}`);
  }
  return stream;
}

/** Load and fold, as a cold command bus does: with a snapshot of `schemaVersion` if one exists. */
async function loadFamily(store: EventStore, stream: StreamRef, schemaVersion: number): Promise<{ state: FamilyState; version: number }> {
  const loaded = await store.load<FamilyState>(stream, schemaVersion);
  let state = loaded.snapshot ? loaded.snapshot.state : familyAggregate.initialState();
  let version = loaded.snapshot?.version ?? 0;
  for (const event of loaded.events) {
    state = familyAggregate.evolve(state, { type: event.type, data: event.data } as FamilyEvent);
    version = event.streamVersion;
  }
  return { state, version };
}

export async function replayVsSnapshot(pool: pg.Pool, stream: StreamRef) {
  const store = new EventStore(pool, { upcast: familyAggregate.upcast });
  // A schema version no snapshot has: the whole stream is read and folded.
  const noSnapshot = familyAggregate.stateSchemaVersion + 1_000;
  const replayMs = await timeMs(15, async () => {
    const { version } = await loadFamily(store, stream, noSnapshot);
    if (version !== EVENTS) throw new Error(`replay reached version ${version}`);
  });
  const full = await loadFamily(store, stream, noSnapshot);
  await store.saveSnapshot(stream, full.version, familyAggregate.stateSchemaVersion, full.state);
  const snapshotLoadMs = await timeMs(50, async () => {
    const { version } = await loadFamily(store, stream, familyAggregate.stateSchemaVersion);
    if (version !== EVENTS) throw new Error(`snapshot load reached version ${version}`);
  });
  return { replayMs: round(replayMs, 3), snapshotLoadMs: round(snapshotLoadMs, 3) };
}

