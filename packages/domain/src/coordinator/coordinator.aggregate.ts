// The Coordinator aggregate: a coordinator of the tenant and the caseload they may carry.
import { defineAggregate, type CommandOf, type EventOf } from "../shared/aggregate";
import { registerCoordinator } from "./commands/register-coordinator.command";
import { setCaseloadLimit } from "./commands/set-caseload-limit.command";
import type { CoordinatorRefusal } from "./coordinator.kit";
import { initialCoordinatorState, isValidCoordinatorState, type CoordinatorState } from "./coordinator.state";
import { caseloadLimitSet } from "./events/caseload-limit-set.event";
import { coordinatorRegistered } from "./events/coordinator-registered.event";

const commands = [registerCoordinator, setCaseloadLimit];

const events = [coordinatorRegistered, caseloadLimitSet];

export type CoordinatorCommand = CommandOf<(typeof commands)[number]>;
export type CoordinatorEvent = EventOf<(typeof events)[number]>;

export const coordinatorAggregate = defineAggregate<CoordinatorState, CoordinatorRefusal, (typeof commands)[number], (typeof events)[number]>({
  streamType: "Coordinator",
  stateSchemaVersion: 1,
  initialState: initialCoordinatorState,
  isValidState: isValidCoordinatorState,
  commands,
  events,
});
