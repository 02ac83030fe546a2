import { copyFamilyState } from "../family.state";
import { familyEvent } from "../family.kit";

export interface Guardian {
  name: string;
  email: string;
  phone: string | null;
}

/** The only Family event that carries the family id: the stream id names the family for the rest. */
export interface FamilyEnrolledData {
  familyId: string;
  familyName: string;
  enrollmentDate: string;
  guardians: Guardian[];
}

/** FamilyEnrolled data as written at schema version 1 (a single parent, flat). */
export interface FamilyEnrolledV1 {
  familyId: string;
  familyName: string;
  enrollmentDate: string;
  parentName: string;
  email: string;
  phone: string | null;
}

/** v1 -> v2: the single parent becomes the first (only) guardian. */
export function familyEnrolledV1ToV2(data: unknown): FamilyEnrolledData {
  // Only a cheap guard: a non-object here means a corrupt row, which must not fold silently.
  if (typeof data !== "object" || data === null) {
    throw new Error(`Cannot upcast FamilyEnrolled v1: data is not an object (${JSON.stringify(data)})`);
  }
  const v1 = data as FamilyEnrolledV1;
  return {
    familyId: v1.familyId,
    familyName: v1.familyName,
    enrollmentDate: v1.enrollmentDate,
    guardians: [{ name: v1.parentName, email: v1.email, phone: v1.phone ?? null }],
  };
}

export const familyEnrolled = familyEvent({
  type: "FamilyEnrolled",
  schemaVersion: 2, // v2: one parent became a list of guardians
  upcasters: { 1: familyEnrolledV1ToV2 },
  personalData: ["familyName", "guardians[].name", "guardians[].email", "guardians[].phone"],
  personalDataBefore: { 1: ["familyName", "parentName", "email", "phone"] },
  evolve(state, data: FamilyEnrolledData) {
    const next = copyFamilyState(state);
    next.status = "Enrolled";
    next.familyId = data.familyId;
    return next;
  },
});
