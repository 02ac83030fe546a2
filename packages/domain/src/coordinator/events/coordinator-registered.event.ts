import { coordinatorEvent } from "../coordinator.kit";

export interface CoordinatorRegisteredData {
  coordinatorId: string;
  name: string;
  caseloadLimit: number;
}

export const coordinatorRegistered = coordinatorEvent({
  type: "CoordinatorRegistered",
  schemaVersion: 1,
  evolve: (_state, data: CoordinatorRegisteredData) => ({ registered: true, caseloadLimit: data.caseloadLimit }),
});
