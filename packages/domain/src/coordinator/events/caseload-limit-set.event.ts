import { coordinatorEvent } from "../coordinator.kit";

export interface CaseloadLimitSetData {
  caseloadLimit: number;
  previousLimit: number;
}

export const caseloadLimitSet = coordinatorEvent({
  type: "CaseloadLimitSet",
  schemaVersion: 1,
  evolve: (state, data: CaseloadLimitSetData) => ({ ...state, caseloadLimit: data.caseloadLimit }),
});
