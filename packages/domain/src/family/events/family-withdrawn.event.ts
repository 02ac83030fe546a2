import { copyFamilyState } from "../family.state";
import { familyEvent } from "../family.kit";

export interface FamilyWithdrawnData {
  reason: string;
}

export const familyWithdrawn = familyEvent({
  type: "FamilyWithdrawn",
  schemaVersion: 1,
  personalData: ["reason"],
  evolve(state, _data: FamilyWithdrawnData) {
    const next = copyFamilyState(state);
    next.status = "Withdrawn";
    return next;
  },
});
