import type { JsonValue } from "../shared/json";
import type { ContactMethod, PaymentMethod } from "./family.commands";
import type { RiskTier } from "./risk";

export interface Guardian {
  name: string;
  email: string;
  phone: string | null;
}

// Events carry no familyId except FamilyEnrolled: the stream id already names the family.
export type FamilyEvent =
  | { type: "FamilyEnrolled"; data: { familyId: string; familyName: string; enrollmentDate: string; guardians: Guardian[] } }
  | { type: "ChildAdded"; data: { childName: string; birthDate: string } }
  | {
      type: "PaymentReceived";
      data: { amountCents: number; paidOn: string; dueOn: string | null; method: PaymentMethod; transactionId: string };
    }
  | { type: "EngagementScoreUpdated"; data: { score: number; previousScore: number; factors: JsonValue | null } }
  | { type: "RiskAssessed"; data: { score: number; tier: RiskTier; previousScore: number; factors: JsonValue | null } }
  | { type: "ContactRecorded"; data: { method: ContactMethod; contactedOn: string; note: string | null } }
  | { type: "CoordinatorAssigned"; data: { coordinator: string; previousCoordinator: string | null } }
  | { type: "FamilyWithdrawn"; data: { reason: string } };

export type FamilyEventType = FamilyEvent["type"];

/** The event of one type, e.g. `FamilyEventOf<"ChildAdded">`. */
export type FamilyEventOf<T extends FamilyEventType> = Extract<FamilyEvent, { type: T }>;

/**
 * Schema version written with each new event. Changing an event's data shape means: bump its
 * version here, keep the old shape as a named type, and register a step in family.upcasters.ts.
 */
export const FAMILY_EVENT_SCHEMA_VERSIONS: Readonly<Record<FamilyEventType, number>> = Object.freeze({
  FamilyEnrolled: 2, // v2: one parent became a list of guardians
  ChildAdded: 1,
  PaymentReceived: 1,
  EngagementScoreUpdated: 1,
  RiskAssessed: 1,
  ContactRecorded: 1,
  CoordinatorAssigned: 1,
  FamilyWithdrawn: 1,
});

/** FamilyEnrolled data as written at schema version 1 (a single parent, flat). */
export interface FamilyEnrolledV1 {
  familyId: string;
  familyName: string;
  enrollmentDate: string;
  parentName: string;
  email: string;
  phone: string | null;
}
