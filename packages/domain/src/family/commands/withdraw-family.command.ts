import { emit } from "../../shared/aggregate";
import { trimmedText, uuid } from "../../shared/validation";
import { familyWithdrawn } from "../events/family-withdrawn.event";
import { familyCommand, inactiveFamily } from "../family.kit";

export interface WithdrawFamilyPayload {
  familyId: string;
  reason: string;
}

const REASON_MAX = 500;

export const withdrawFamily = familyCommand({
  type: "WithdrawFamily",
  emits: [familyWithdrawn],
  streamId: (p: WithdrawFamilyPayload) => p.familyId,
  validate(p: WithdrawFamilyPayload) {
    const familyId = uuid("familyId", p.familyId);
    if (!familyId.ok) return familyId;
    const reason = trimmedText("reason", p.reason, 1, REASON_MAX);
    if (!reason.ok) return reason;
    return { ok: true, value: { familyId: familyId.value, reason: reason.value } };
  },
  decide: (p, state) => inactiveFamily(state, p.familyId) ?? emit(familyWithdrawn, { reason: p.reason }),
});
