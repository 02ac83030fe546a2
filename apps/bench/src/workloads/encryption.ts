// The cost of sealing personal data (CONTRACT section 8), in the same run: enrolments (the command
// with the most personal fields) appended through the event store with and without the codec, and
// the replay of a 10,000-event family stream that carries personal fields, sealed and plain.
import { randomBytes, randomUUID } from "node:crypto";
import type pg from "pg";
import { familyAggregate, upcastEvent, type FamilyEvent, type FamilyState } from "@coop/domain";
import { createPersonalDataCodec, EventStore, type StreamRef } from "@coop/event-store";
import { round, runConcurrent, timeMsOf } from "../stats";
import { writeLongStream } from "./replay";

const ENROLMENTS = 2_000;
const IN_FLIGHT = 16;

export interface EncryptionStores {
  plain: EventStore;
  sealed: EventStore;
  plainStream: StreamRef;
  sealedStream: StreamRef;
}

/** A plain store, a sealing one (a process's key cache of its own), and the long stream written through each. */
export async function encryptionStores(pool: pg.Pool, tenantId: string): Promise<EncryptionStores> {
  const plain = new EventStore(pool, { upcast: upcastEvent });
  const sealed = new EventStore(pool, { codec: createPersonalDataCodec(pool, { current: randomBytes(24).toString("hex") }) });
  return { plain, sealed, plainStream: await writeLongStream(plain, tenantId), sealedStream: await writeLongStream(sealed, tenantId) };
}

/** The time `count` enrolments take through `store`, 16 in flight. */
async function enrolmentsMs(store: EventStore, tenantId: string, count: number): Promise<number> {
  const { elapsedMs } = await runConcurrent(count, IN_FLIGHT, async (i) => {
    const stream: StreamRef = { tenantId, streamType: familyAggregate.streamType, streamId: randomUUID() };
    const data = {
      familyId: stream.streamId,
      familyName: `Family ${i}`,
      enrollmentDate: "2026-01-01",
      guardians: [{ name: `Parent ${i}`, email: `parent${i}@example.org`, phone: "+1 555 0100" }],
    };
    const result = await store.append(stream, 0, [{ type: "FamilyEnrolled", schemaVersion: familyAggregate.eventSchemaVersions.FamilyEnrolled, data, metadata: { commandId: randomUUID(), userId: "bench" } }]);
    if (!result.ok) throw new Error(`enrolment not appended: ${result.reason}`);
  });
  return elapsedMs;
}

/**
 * Enrolments per second through each store, measured in alternating rounds (plain, sealed, sealed,
 * plain, ...): a single half-second burst of each moved by 30% with whatever else the machine did.
 */
async function enrolmentRates(stores: EncryptionStores, tenantId: string, run: number): Promise<{ plain: number; sealed: number }> {
  const rounds = 6;
  const perRound = Math.ceil(ENROLMENTS / 2);
  let plainMs = 0;
  let sealedMs = 0;
  for (let round = 0; round < rounds; round++) {
    const sealedFirst = (round + run) % 2 === 1;
    for (const side of sealedFirst ? (["sealed", "plain"] as const) : (["plain", "sealed"] as const)) {
      if (side === "plain") plainMs += await enrolmentsMs(stores.plain, tenantId, perRound);
      else sealedMs += await enrolmentsMs(stores.sealed, tenantId, perRound);
    }
  }
  return { plain: (rounds * perRound * 1000) / plainMs, sealed: (rounds * perRound * 1000) / sealedMs };
}

/** Load and fold the whole stream, as a cold command bus does (no snapshot). */
async function replayMs(store: EventStore, stream: StreamRef): Promise<number> {
  const noSnapshot = familyAggregate.stateSchemaVersion + 1_000;
  return timeMsOf(15, async () => {
    const loaded = await store.load<FamilyState>(stream, noSnapshot);
    let state = familyAggregate.initialState();
    for (const event of loaded.events) state = familyAggregate.evolve(state, { type: event.type, data: event.data } as FamilyEvent);
    if (loaded.events.length !== 10_000) throw new Error(`replay read ${loaded.events.length} events`);
  });
}

/** One run: each side measured in turn, the order alternating with `run`. */
export async function encryptionCost(stores: EncryptionStores, tenantId: string, run: number) {
  const figures = { plainAppendPerSec: 0, sealedAppendPerSec: 0, plainReplayMs: 0, sealedReplayMs: 0 };
  const rates = await enrolmentRates(stores, tenantId, run);
  figures.plainAppendPerSec = rates.plain;
  figures.sealedAppendPerSec = rates.sealed;
  for (const side of run % 2 ? (["sealed", "plain"] as const) : (["plain", "sealed"] as const)) {
    if (side === "plain") figures.plainReplayMs = await replayMs(stores.plain, stores.plainStream);
    else figures.sealedReplayMs = await replayMs(stores.sealed, stores.sealedStream);
  }
  return {
    plainAppendPerSec: round(figures.plainAppendPerSec),
    sealedAppendPerSec: round(figures.sealedAppendPerSec),
    appendRatio: round(figures.sealedAppendPerSec / figures.plainAppendPerSec, 3),
    plainReplayMs: round(figures.plainReplayMs, 3),
    sealedReplayMs: round(figures.sealedReplayMs, 3),
    replayRatio: round(figures.sealedReplayMs / figures.plainReplayMs, 3),
  };
}
