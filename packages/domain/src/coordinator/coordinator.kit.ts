// What every Coordinator command and event module builds on.
import { commandsOf, eventsOf } from "../shared/aggregate";
import type { CoordinatorState } from "./coordinator.state";

/** Why a Coordinator command can be refused (CONFLICT, `reason`). */
export type CoordinatorRefusal = "COORDINATOR_EXISTS";

export const coordinatorEvent = eventsOf<CoordinatorState>();
export const coordinatorCommand = commandsOf<CoordinatorState, CoordinatorRefusal>();

export const CASELOAD_LIMIT_MAX = 500;
