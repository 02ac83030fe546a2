import { emit, refuse } from "../../shared/aggregate";
import { integerInRange, trimmedText, uuid } from "../../shared/validation";
import { CASELOAD_LIMIT_MAX, coordinatorCommand } from "../coordinator.kit";
import { coordinatorRegistered } from "../events/coordinator-registered.event";

export interface RegisterCoordinatorPayload {
  coordinatorId: string;
  name: string;
  caseloadLimit: number;
}

const NAME_MAX = 100;

export const registerCoordinator = coordinatorCommand({
  type: "RegisterCoordinator",
  emits: [coordinatorRegistered],
  streamId: (p: RegisterCoordinatorPayload) => p.coordinatorId,
  validate(p: RegisterCoordinatorPayload) {
    const coordinatorId = uuid("coordinatorId", p.coordinatorId);
    if (!coordinatorId.ok) return coordinatorId;
    const name = trimmedText("name", p.name, 1, NAME_MAX);
    if (!name.ok) return name;
    const caseloadLimit = integerInRange("caseloadLimit", p.caseloadLimit, 1, CASELOAD_LIMIT_MAX);
    if (!caseloadLimit.ok) return caseloadLimit;
    return { ok: true, value: { coordinatorId: coordinatorId.value, name: name.value, caseloadLimit: caseloadLimit.value } };
  },
  decide(p, state) {
    if (state.registered) return refuse("COORDINATOR_EXISTS", `Coordinator ${p.coordinatorId} is already registered`);
    return emit(coordinatorRegistered, { coordinatorId: p.coordinatorId, name: p.name, caseloadLimit: p.caseloadLimit });
  },
  // Names are unique in the tenant: a family's assignedCoordinator names its coordinator.
  claims: (p) => [
    {
      scope: "coordinator-name",
      value: p.name,
      refusal: { type: "Refused", reason: "COORDINATOR_EXISTS", message: "A coordinator with this name is already registered" },
    },
  ],
});
