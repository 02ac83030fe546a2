// `family(id, asOf)`: the family as it was at an instant, folded from its events up to that instant
// with the family-detail projection's own reducer, so that the past reads exactly as the read model
// would have shown it then. No read model and no snapshot are involved; personal fields are opened
// with the family's key while it exists, and read as (erased) once the family is forgotten.
import type { EventStore } from "@coop/event-store";
import { evolveFamilyView, type FamilyViewRow } from "@coop/worker/family-view";
import { wholeYears } from "../graphql/dates";
import { isUuid } from "../graphql/values";
import type { Family } from "./family.types";

export async function familyAsOf(eventStore: EventStore, tenantId: string, id: string, asOf: Date, today: string): Promise<Family | null> {
  if (!isUuid(id)) return null;
  const events = await eventStore.readStream({ tenantId, streamType: "Family", streamId: id.toLowerCase() });
  let row: FamilyViewRow | null = null;
  for (const event of events) {
    if (event.recordedAt.getTime() > asOf.getTime()) break; // recorded in stream order
    row = evolveFamilyView(row, event);
  }
  return row ? familyOfRow(row, today) : null;
}

/** A family-detail row as the GraphQL Family (what the read model's row would have answered). */
export function familyOfRow(row: FamilyViewRow, today: string): Family {
  return {
    id: row.familyId,
    familyName: row.familyName,
    status: row.status,
    enrollmentDate: row.enrollmentDate,
    parentName: row.parentName,
    email: row.email,
    phone: row.phone,
    children: row.children.map((c) => ({ name: c.name, birthDate: c.birthDate })),
    childrenCount: row.childrenCount,
    oldestChildAge: row.oldestChildBirthDate === null ? null : wholeYears(row.oldestChildBirthDate, today),
    totalPaidCents: row.totalPaidCents,
    paymentCount: row.paymentCount,
    lastPaymentDate: row.lastPaymentDate,
    avgDaysLate: row.latePaymentCount > 0 ? row.totalDaysLate / row.latePaymentCount : null,
    engagementScore: row.engagementScore,
    riskScore: row.riskScore,
    riskTier: row.riskTier,
    riskFactors: row.riskFactors ?? null,
    assignedCoordinator: row.assignedCoordinator,
    lastContactDate: row.lastContactDate,
    version: row.version,
    updatedAt: row.updatedAt,
  };
}
