import { emit, notFound } from "../../shared/aggregate";
import { integerInRange, uuid } from "../../shared/validation";
import { CASELOAD_LIMIT_MAX, coordinatorCommand } from "../coordinator.kit";
import { caseloadLimitSet } from "../events/caseload-limit-set.event";

export interface SetCaseloadLimitPayload {
  coordinatorId: string;
  caseloadLimit: number;
}

export const setCaseloadLimit = coordinatorCommand({
  type: "SetCaseloadLimit",
  emits: [caseloadLimitSet],
  streamId: (p: SetCaseloadLimitPayload) => p.coordinatorId,
  validate(p: SetCaseloadLimitPayload) {
    const coordinatorId = uuid("coordinatorId", p.coordinatorId);
    if (!coordinatorId.ok) return coordinatorId;
    const caseloadLimit = integerInRange("caseloadLimit", p.caseloadLimit, 1, CASELOAD_LIMIT_MAX);
    if (!caseloadLimit.ok) return caseloadLimit;
    return { ok: true, value: { coordinatorId: coordinatorId.value, caseloadLimit: caseloadLimit.value } };
  },
  decide(p, state) {
    if (!state.registered) return notFound(`Coordinator ${p.coordinatorId} not found`);
    return emit(caseloadLimitSet, { caseloadLimit: p.caseloadLimit, previousLimit: state.caseloadLimit });
  },
});
