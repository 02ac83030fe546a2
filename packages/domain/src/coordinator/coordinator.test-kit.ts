// Test-only helpers: given(events).when(command).thenEvents([...]) / .thenRejects({...}).
import { expect } from "vitest";
import type { DecisionContext } from "../shared/decider";
import { coordinatorAggregate, type CoordinatorCommand, type CoordinatorEvent } from "./coordinator.aggregate";

export const CONTEXT: DecisionContext = { today: "2024-06-15" };
export const COORDINATOR_ID = "6d1f7a0e-2b3c-4d5e-8f90-1a2b3c4d5e6f";

export function given(events: readonly CoordinatorEvent[] = []) {
  const state = events.reduce(coordinatorAggregate.evolve, coordinatorAggregate.initialState());
  return {
    state,
    when(command: CoordinatorCommand) {
      const decision = coordinatorAggregate.decide(command, state, CONTEXT);
      return {
        decision,
        thenEvents: (expected: CoordinatorEvent[]) => expect(decision).toEqual({ ok: true, events: expected }),
        thenRejects: (expected: Record<string, unknown>) => expect(decision).toMatchObject({ ok: false, rejection: expected }),
      };
    },
  };
}

type Loose<P> = { [K in keyof P]?: unknown };

export const cmd = {
  register: (o: Loose<Extract<CoordinatorCommand, { type: "RegisterCoordinator" }>["payload"]> = {}) =>
    ({ type: "RegisterCoordinator", payload: { coordinatorId: COORDINATOR_ID, name: "Sam Lee", caseloadLimit: 25, ...o } }) as CoordinatorCommand,
  setLimit: (o: Loose<Extract<CoordinatorCommand, { type: "SetCaseloadLimit" }>["payload"]> = {}) =>
    ({ type: "SetCaseloadLimit", payload: { coordinatorId: COORDINATOR_ID, caseloadLimit: 30, ...o } }) as CoordinatorCommand,
};

export const registered: CoordinatorEvent = { type: "CoordinatorRegistered", data: { coordinatorId: COORDINATOR_ID, name: "Sam Lee", caseloadLimit: 25 } };
