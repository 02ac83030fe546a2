import { emit } from "../../shared/aggregate";
import { pastOrToday, requireCalendarDate, trimmedText, uuid } from "../../shared/validation";
import { childAdded } from "../events/child-added.event";
import { familyCommand, inactiveFamily } from "../family.kit";

export interface AddChildPayload {
  familyId: string;
  childName: string;
  birthDate: string;
}

const CHILD_NAME_MAX = 100;

export const addChild = familyCommand({
  type: "AddChild",
  emits: [childAdded],
  streamId: (p: AddChildPayload) => p.familyId,
  validate(p: AddChildPayload, context) {
    const today = requireCalendarDate(context.today, "context.today");
    const familyId = uuid("familyId", p.familyId);
    if (!familyId.ok) return familyId;
    const childName = trimmedText("childName", p.childName, 1, CHILD_NAME_MAX);
    if (!childName.ok) return childName;
    const birthDate = pastOrToday("birthDate", p.birthDate, today);
    if (!birthDate.ok) return birthDate;
    return { ok: true, value: { familyId: familyId.value, childName: childName.value, birthDate: birthDate.value.text } };
  },
  decide: (p, state) => inactiveFamily(state, p.familyId) ?? emit(childAdded, { childName: p.childName, birthDate: p.birthDate }),
});
