import { describe, expect, it } from "vitest";
import { coordinatorAggregate } from "./coordinator.aggregate";
import { isValidCoordinatorState } from "./coordinator.state";
import { registered } from "./coordinator.test-kit";

describe("Coordinator state", () => {
  it("folds registration and limit changes", () => {
    const state = [registered, { type: "CaseloadLimitSet" as const, data: { caseloadLimit: 7, previousLimit: 25 } }].reduce(
      coordinatorAggregate.evolve,
      coordinatorAggregate.initialState(),
    );
    expect(state).toEqual({ registered: true, caseloadLimit: 7 });
    expect(isValidCoordinatorState(state)).toBe(true);
  });

  it("a snapshot of another shape is not trusted", () => {
    for (const state of [null, {}, { registered: true, caseloadLimit: 0 }, { registered: "yes", caseloadLimit: 3 }, { registered: false, caseloadLimit: 3 }]) {
      expect(isValidCoordinatorState(state)).toBe(false);
    }
    expect(isValidCoordinatorState(coordinatorAggregate.initialState())).toBe(true);
  });
});
