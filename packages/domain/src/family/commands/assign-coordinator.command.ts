import { emit } from "../../shared/aggregate";
import { trimmedText, uuid } from "../../shared/validation";
import { coordinatorAssigned } from "../events/coordinator-assigned.event";
import { familyCommand, inactiveFamily } from "../family.kit";

export interface AssignCoordinatorPayload {
  familyId: string;
  coordinator: string;
}

const COORDINATOR_MAX = 100;

export const assignCoordinator = familyCommand({
  type: "AssignCoordinator",
  emits: [coordinatorAssigned],
  streamId: (p: AssignCoordinatorPayload) => p.familyId,
  validate(p: AssignCoordinatorPayload) {
    const familyId = uuid("familyId", p.familyId);
    if (!familyId.ok) return familyId;
    const coordinator = trimmedText("coordinator", p.coordinator, 1, COORDINATOR_MAX);
    if (!coordinator.ok) return coordinator;
    return { ok: true, value: { familyId: familyId.value, coordinator: coordinator.value } };
  },
  decide: (p, state) =>
    inactiveFamily(state, p.familyId) ?? emit(coordinatorAssigned, { coordinator: p.coordinator, previousCoordinator: state.coordinator }),
});
