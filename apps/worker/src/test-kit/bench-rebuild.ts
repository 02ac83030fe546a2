// Measures catch-up speed: appends N events (default 100,000) to a fresh test database through the
// event store, then rebuilds each projection from scratch and prints events/s.
//   pnpm --filter @coop/worker exec tsx src/test-kit/bench-rebuild.ts [events] [events per stream]
import { createPool } from "@coop/database";
import { createTestDatabase } from "@coop/database/testing";
import { familyAggregate, upcastEvent, type FamilyEvent } from "@coop/domain";
import { EventStore } from "@coop/event-store";
import { projections } from "../projections/projections";
import { ensureProjectionRows } from "../runtime/checkpoints";
import { rebuildProjection } from "../runtime/rebuild";
import { Random } from "./random";

const total = Number(process.argv[2] ?? 100_000);
const PER_STREAM = Number(process.argv[3] ?? 10);
const rnd = new Random(42);

function eventFor(version: number, familyId: string): FamilyEvent {
  if (version === 1) {
    return { type: "FamilyEnrolled", data: { familyId, familyName: `Family ${familyId.slice(0, 6)}`, enrollmentDate: "2024-01-01", guardians: [{ name: "P", email: "p@example.org", phone: null }] } };
  }
  const roll = rnd.next();
  if (roll < 0.1) return { type: "ChildAdded", data: { childName: `Child ${version}`, birthDate: rnd.date("2010-01-01", "2023-12-31") } };
  if (roll < 0.55) {
    const paidOn = rnd.date("2024-01-01", "2025-12-31");
    return { type: "PaymentReceived", data: { amountCents: rnd.int(100, 100_000), paidOn, dueOn: rnd.chance(0.5) ? rnd.date("2024-01-01", paidOn) : null, method: rnd.pick(["CARD", "ACH", "CASH"] as const), transactionId: `t${version}` } };
  }
  if (roll < 0.7) return { type: "RiskAssessed", data: { score: rnd.int(0, 100), tier: "LOW", previousScore: 0, factors: { r: rnd.int(0, 9) } } };
  if (roll < 0.85) return { type: "ContactRecorded", data: { method: "PHONE", contactedOn: rnd.date("2024-01-01", "2025-12-31"), note: null } };
  return { type: "EngagementScoreUpdated", data: { score: rnd.int(0, 100), previousScore: 0, factors: null } };
}

const db = await createTestDatabase("coop_bench_rebuild");
const pool = createPool(db.url, { max: 16 });
try {
  const store = new EventStore(pool, { upcast: upcastEvent });
  const streams = Math.ceil(total / PER_STREAM);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      while (next < streams) {
        const s = next++;
        const familyId = rnd.uuid();
        const count = Math.min(PER_STREAM, total - s * PER_STREAM);
        for (let v = 1; v <= count; v += 25) {
          const events = Array.from({ length: Math.min(25, count - v + 1) }, (_, i) => {
            const e = eventFor(v + i, familyId);
            return { type: e.type, schemaVersion: familyAggregate.eventSchemaVersions[e.type], data: e.data, metadata: { correlationId: "bench" } };
          });
          const result = await store.append({ tenantId: "bench", streamType: "Family", streamId: familyId }, v - 1, events);
          if (!result.ok) throw new Error(`append failed: ${result.reason}`);
        }
      }
    }),
  );
  console.log(`appended ${total} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await ensureProjectionRows(pool, projections, 1);
  for (const projection of projections) {
    const result = await rebuildProjection({ pool, eventStore: store, projection, lanes: 1, holder: `bench-rebuild:${process.pid}` });
    console.log(
      `${projection.name}: ${result.read} events (${result.applied} applied) in ${(result.replaySeconds + result.swapSeconds).toFixed(2)} s = ${result.eventsPerSec} events/s`,
    );
  }
} finally {
  await pool.end();
  await db.drop();
}
