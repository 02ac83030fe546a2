import { copyFamilyState } from "../family.state";
import { familyEvent } from "../family.kit";

export interface ChildAddedData {
  childName: string;
  birthDate: string;
}

export const childAdded = familyEvent({
  type: "ChildAdded",
  schemaVersion: 1,
  personalData: ["childName", "birthDate"],
  evolve(state, _data: ChildAddedData) {
    const next = copyFamilyState(state);
    next.childrenCount = state.childrenCount + 1;
    return next;
  },
});
