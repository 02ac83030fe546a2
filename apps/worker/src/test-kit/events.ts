import type { FamilyEvent } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";

/** A RecordedEvent for pure reducer tests: stream version and position given, the rest filled in. */
export function recorded(
  event: FamilyEvent | { type: string; data: unknown },
  meta: { version: number; position?: number; familyId?: string; tenantId?: string; recordedAt?: string },
): RecordedEvent {
  const position = String(meta.position ?? meta.version);
  return {
    position,
    transactionId: position,
    eventId: `00000000-0000-4000-8000-${position.padStart(12, "0")}`,
    tenantId: meta.tenantId ?? "tenant-1",
    streamId: meta.familyId ?? "11111111-1111-4111-8111-111111111111",
    streamType: "Family",
    streamVersion: meta.version,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: { correlationId: `corr-${position}` },
    recordedAt: new Date(meta.recordedAt ?? `2026-01-01T00:00:${String(meta.version % 60).padStart(2, "0")}.000Z`),
    streamHash: 0,
  };
}

export const enrolled = (familyName = "Martinez family"): FamilyEvent => ({
  type: "FamilyEnrolled",
  data: {
    familyId: "11111111-1111-4111-8111-111111111111",
    familyName,
    enrollmentDate: "2025-09-01",
    guardians: [
      { name: "Maria Martinez", email: "maria@example.org", phone: "+1 555-0100" },
      { name: "Jose Martinez", email: "jose@example.org", phone: null },
    ],
  },
});
