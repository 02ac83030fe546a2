import { randomUUID } from "node:crypto";
import type pg from "pg";
import { familyAggregate, riskTier, type FamilyEvent } from "@coop/domain";
import { EventStore } from "@coop/event-store";
import { runConcurrent } from "../stats";

const SURNAMES = ["Okafor", "Martinez", "Nguyen", "Kowalski", "Haddad", "Johansson", "Silva", "Mbeki", "Tanaka", "O'Brien", "Rossi", "Dubois", "Patel", "Novak", "Cohen", "Fischer"];
const FIRST = ["Ada", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lou", "Max", "Nia", "Oz", "Pia"];

/**
 * `families` families written straight to the event store (the write side's own API, fast):
 * each enrolled and risk-assessed, every fourth with a child, every third contacted.
 * Returns the family ids and some search terms that match a few families each.
 */
export async function populate(pool: pg.Pool, tenantId: string, families: number) {
  const store = new EventStore(pool);
  const ids = Array.from({ length: families }, () => randomUUID());
  let events = 0;
  await runConcurrent(families, 16, async (i) => {
    const familyId = ids[i]!;
    const score = (i * 37) % 101;
    const list: FamilyEvent[] = [
      {
        type: "FamilyEnrolled",
        data: { familyId, familyName: `${SURNAMES[i % SURNAMES.length]} ${i}`, enrollmentDate: "2025-09-01", guardians: [{ name: `Guardian ${i}`, email: `g${i}@example.com`, phone: null }] },
      },
      { type: "RiskAssessed", data: { score, tier: riskTier(score), previousScore: 0, factors: { attendance: score % 10 } } },
    ];
    if (i % 4 === 0) list.push({ type: "ChildAdded", data: { childName: `${FIRST[i % FIRST.length]} ${SURNAMES[(i + 3) % SURNAMES.length]}`, birthDate: "2016-03-14" } });
    if (i % 3 === 0) list.push({ type: "ContactRecorded", data: { method: "PHONE", contactedOn: `2026-0${1 + (i % 9)}-1${i % 10}`, note: null } });
    const result = await store.append(
      { tenantId, streamType: familyAggregate.streamType, streamId: familyId },
      0,
      list.map((e) => ({ type: e.type, schemaVersion: familyAggregate.eventSchemaVersions[e.type], data: e.data, metadata: { commandId: randomUUID(), correlationId: "bench", userId: "bench", tenantId } })),
    );
    if (!result.ok) throw new Error(`population append failed: ${result.reason}`);
    events += list.length;
  });
  // Terms a user would type: part of a surname and number, matching a handful of families.
  const searchTerms = Array.from({ length: 50 }, (_, k) => `${SURNAMES[k % SURNAMES.length]!.slice(1)} ${(k * 131) % 1000}`);
  return { ids, events, searchTerms };
}
