import { randomUUID } from "node:crypto";
import { familyAggregate, riskTier, type FamilyEvent } from "@coop/domain";
import type { EventStore, NewEvent, StreamRef } from "@coop/event-store";

/** Events per family, written in two appends of HALF: a family's events come in runs of 5. */
export const EVENTS_PER_FAMILY = 10;
const HALF = EVENTS_PER_FAMILY / 2;

/**
 * Family `i`'s ten events: every projection gets some (enrolment, risk, payments, engagement,
 * contacts or a child, a comment for every third family, a coordinator), personal fields included.
 */
export function familyHistory(i: number, familyId: string): FamilyEvent[] {
  const score = (i * 37) % 101;
  const payment = (k: number): FamilyEvent => ({
    type: "PaymentReceived",
    data: { amountCents: 1_000 + ((i * 7 + k) % 9_000), paidOn: `2026-0${1 + ((i + k) % 9)}-1${k % 10}`, dueOn: k % 2 ? null : "2026-01-01", method: "ACH", transactionId: `s-${i}-${k}` },
  });
  return [
    { type: "FamilyEnrolled", data: { familyId, familyName: `Scale ${i}`, enrollmentDate: "2025-09-01", guardians: [{ name: `Guardian ${i}`, email: `g${i}@example.com`, phone: null }] } },
    { type: "RiskAssessed", data: { score, tier: riskTier(score), previousScore: 0, factors: { attendance: score % 10 } } },
    payment(2),
    { type: "EngagementScoreUpdated", data: { score: (i * 13) % 101, previousScore: 0, factors: null } },
    i % 4 === 0
      ? { type: "ChildAdded", data: { childName: `Child ${i}`, birthDate: "2016-03-14" } }
      : { type: "ContactRecorded", data: { method: "PHONE", contactedOn: `2026-0${1 + (i % 9)}-1${i % 10}`, note: null } },
    payment(5),
    i % 3 === 0
      ? { type: "CommentAdded", data: { commentId: randomUUID(), body: `A note on family ${i}`, author: "bench" } }
      : { type: "EngagementScoreUpdated", data: { score: (i * 17) % 101, previousScore: (i * 13) % 101, factors: null } },
    { type: "CoordinatorAssigned", data: { coordinator: `coordinator-${i % 25}`, previousCoordinator: null } },
    { type: "RiskAssessed", data: { score: (score + 11) % 101, tier: riskTier((score + 11) % 101), previousScore: score, factors: null } },
    payment(9),
  ];
}

/** The two appends of family `i` (`part` 0: events 1 to 5, on a new stream; 1: events 6 to 10). */
export async function appendFamilyPart(store: EventStore, tenantId: string, familyId: string, i: number, part: 0 | 1) {
  const stream: StreamRef = { tenantId, streamType: familyAggregate.streamType, streamId: familyId };
  const events = familyHistory(i, familyId).slice(part * HALF, (part + 1) * HALF);
  const result = await store.append(
    stream,
    part * HALF,
    events.map((e): NewEvent => ({ type: e.type, schemaVersion: familyAggregate.eventSchemaVersions[e.type], data: e.data, metadata: { commandId: randomUUID(), correlationId: "bench", userId: "bench", tenantId } })),
  );
  if (!result.ok) throw new Error(`family history append failed: ${result.reason}`);
  return result;
}
