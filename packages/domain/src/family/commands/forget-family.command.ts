import { emit, notFound } from "../../shared/aggregate";
import { uuid } from "../../shared/validation";
import { familyForgotten } from "../events/family-forgotten.event";
import { familyCommand, forgottenFamily } from "../family.kit";

export interface ForgetFamilyPayload {
  familyId: string;
}

export const forgetFamily = familyCommand({
  type: "ForgetFamily",
  emits: [familyForgotten],
  streamId: (p: ForgetFamilyPayload) => p.familyId,
  validate(p: ForgetFamilyPayload) {
    const familyId = uuid("familyId", p.familyId);
    if (!familyId.ok) return familyId;
    return { ok: true, value: { familyId: familyId.value } };
  },
  // Enrolled or withdrawn alike: anyone once enrolled may be forgotten, but only once.
  decide(p, state) {
    switch (state.status) {
      case "None":
        return notFound(`Family ${p.familyId} not found`);
      case "Forgotten":
        return forgottenFamily(p.familyId);
      default:
        return emit(familyForgotten, {});
    }
  },
});
