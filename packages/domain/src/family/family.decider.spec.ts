import { describe, expect, it } from "vitest";
import { familyDecider } from "./family.decider";

describe("familyDecider", () => {
  it("describes the Family stream", () => {
    expect(familyDecider.streamType).toBe("Family");
    expect(familyDecider.stateSchemaVersion).toBe(1);
    expect(familyDecider.eventSchemaVersions).toEqual({
      FamilyEnrolled: 2,
      ChildAdded: 1,
      PaymentReceived: 1,
      EngagementScoreUpdated: 1,
      RiskAssessed: 1,
      ContactRecorded: 1,
      CoordinatorAssigned: 1,
      FamilyWithdrawn: 1,
    });
    expect([...familyDecider.commandTypes].sort()).toEqual(
      ["AddChild", "AssessRisk", "AssignCoordinator", "EnrollFamily", "RecordContact", "RecordPayment", "UpdateEngagementScore", "WithdrawFamily"],
    );
  });

  it("hands out a fresh initial state each time", () => {
    const a = familyDecider.initialState();
    const b = familyDecider.initialState();
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.paymentTransactionIds[0]).not.toBe(b.paymentTransactionIds[0]);
  });

  it("cannot be changed by a consumer", () => {
    expect(Object.isFrozen(familyDecider)).toBe(true);
    expect(Object.isFrozen(familyDecider.eventSchemaVersions)).toBe(true);
    expect(Object.isFrozen(familyDecider.commandTypes)).toBe(true);
  });
});
