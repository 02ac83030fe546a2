import { copyFamilyState } from "../family.state";
import { familyEvent } from "../family.kit";

export interface CoordinatorAssignedData {
  coordinator: string;
  previousCoordinator: string | null;
}

export const coordinatorAssigned = familyEvent({
  type: "CoordinatorAssigned",
  schemaVersion: 1,
  evolve(state, data: CoordinatorAssignedData) {
    const next = copyFamilyState(state);
    next.coordinator = data.coordinator;
    return next;
  },
});
