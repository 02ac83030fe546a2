import { createUpcasterRegistry, type UpcastStep } from "../shared/upcasting";
import { FAMILY_EVENT_SCHEMA_VERSIONS, type FamilyEnrolledV1, type FamilyEvent, type FamilyEventOf } from "./family.events";

/** v1 -> v2: the single parent becomes the first (only) guardian. */
export const familyEnrolledV1ToV2: UpcastStep = (data) => {
  // Only a cheap guard: a non-object here means a corrupt row, which must not fold silently.
  if (typeof data !== "object" || data === null) {
    throw new Error(`Cannot upcast FamilyEnrolled v1: data is not an object (${JSON.stringify(data)})`);
  }
  const v1 = data as FamilyEnrolledV1;
  const v2: FamilyEventOf<"FamilyEnrolled">["data"] = {
    familyId: v1.familyId,
    familyName: v1.familyName,
    enrollmentDate: v1.enrollmentDate,
    guardians: [{ name: v1.parentName, email: v1.email, phone: v1.phone ?? null }],
  };
  return v2;
};

export const familyUpcasters = createUpcasterRegistry<FamilyEvent>(FAMILY_EVENT_SCHEMA_VERSIONS, {
  FamilyEnrolled: { 1: familyEnrolledV1ToV2 },
});
