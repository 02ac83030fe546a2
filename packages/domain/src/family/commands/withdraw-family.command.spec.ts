import { describe, it } from "vitest";
import { checkRequiredText, cmd, enrolled, given, rejectsField } from "../family.test-kit";

describe("WithdrawFamily", () => {
  it("withdraws an enrolled family", () => {
    given(enrolled).when(cmd.withdraw({ reason: " Moved away " })).thenEvents([{ type: "FamilyWithdrawn", data: { reason: "Moved away" } }]);
  });
});

describe("WithdrawFamily input", () => {
  it("reason: 1..500 characters after trimming", () => {
    checkRequiredText("reason", 500, (v) => cmd.withdraw({ reason: v }));
  });

  it("reports the first bad field", () => {
    rejectsField(cmd.withdraw({ familyId: "x", reason: "" }), "familyId");
  });
});
