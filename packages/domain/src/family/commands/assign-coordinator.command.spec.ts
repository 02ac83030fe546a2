import { describe, it } from "vitest";
import { checkRequiredText, cmd, enrolled, given, rejectsField } from "../family.test-kit";

describe("AssignCoordinator", () => {
  it("reports null as the previous coordinator the first time", () => {
    given(enrolled)
      .when(cmd.assignCoordinator({ coordinator: " Sam Lee " }))
      .thenEvents([{ type: "CoordinatorAssigned", data: { coordinator: "Sam Lee", previousCoordinator: null } }]);
  });

  it("reports the coordinator before this one", () => {
    given([...enrolled, { type: "CoordinatorAssigned", data: { coordinator: "Sam Lee", previousCoordinator: null } }])
      .when(cmd.assignCoordinator({ coordinator: "Kim Park" }))
      .thenEvents([{ type: "CoordinatorAssigned", data: { coordinator: "Kim Park", previousCoordinator: "Sam Lee" } }]);
  });
});

describe("AssignCoordinator input", () => {
  it("coordinator: 1..100 characters after trimming", () => {
    checkRequiredText("coordinator", 100, (v) => cmd.assignCoordinator({ coordinator: v }));
  });

  it("reports the first bad field", () => {
    rejectsField(cmd.assignCoordinator({ familyId: "x", coordinator: "" }), "familyId");
  });
});
