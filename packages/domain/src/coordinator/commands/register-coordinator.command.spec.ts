import { describe, expect, it } from "vitest";
import { coordinatorAggregate } from "../coordinator.aggregate";
import { cmd, CONTEXT, COORDINATOR_ID, given, registered } from "../coordinator.test-kit";

describe("RegisterCoordinator", () => {
  it("registers a coordinator with a trimmed name", () => {
    given([])
      .when(cmd.register({ name: "  Sam Lee ", caseloadLimit: 25 }))
      .thenEvents([{ type: "CoordinatorRegistered", data: { coordinatorId: COORDINATOR_ID, name: "Sam Lee", caseloadLimit: 25 } }]);
  });

  it("refuses an id already registered", () => {
    given([registered]).when(cmd.register({ name: "Kim Park" })).thenRejects({ type: "Refused", reason: "COORDINATOR_EXISTS" });
  });

  it("claims the name, unique in the tenant, refused as COORDINATOR_EXISTS when taken", () => {
    const validated = coordinatorAggregate.validate(cmd.register({ name: " Sam Lee " }), CONTEXT);
    expect(validated.ok).toBe(true);
    if (!validated.ok) return;
    expect(coordinatorAggregate.claimsOf(validated.value)).toEqual([
      { scope: "coordinator-name", value: "Sam Lee", refusal: { type: "Refused", reason: "COORDINATOR_EXISTS", message: expect.any(String) } },
    ]);
  });

  it.each([
    ["coordinatorId", { coordinatorId: "nope" }],
    ["name", { name: "  " }],
    ["name", { name: "x".repeat(101) }],
    ["name", { name: "a\u0000" }],
    ["caseloadLimit", { caseloadLimit: 0 }],
    ["caseloadLimit", { caseloadLimit: 501 }],
    ["caseloadLimit", { caseloadLimit: 2.5 }],
  ])("rejects a bad %s", (field, override) => {
    given([]).when(cmd.register(override)).thenRejects({ type: "InvalidInput", field });
  });

  it("accepts the bounds", () => {
    expect(given([]).when(cmd.register({ name: "x".repeat(100), caseloadLimit: 1 })).decision.ok).toBe(true);
    expect(given([]).when(cmd.register({ caseloadLimit: 500 })).decision.ok).toBe(true);
  });
});
