import { describe, it } from "vitest";
import { cmd, given, registered } from "../coordinator.test-kit";

describe("SetCaseloadLimit", () => {
  it("sets the limit, reporting the one before", () => {
    given([registered]).when(cmd.setLimit({ caseloadLimit: 40 })).thenEvents([{ type: "CaseloadLimitSet", data: { caseloadLimit: 40, previousLimit: 25 } }]);
    given([registered, { type: "CaseloadLimitSet", data: { caseloadLimit: 40, previousLimit: 25 } }])
      .when(cmd.setLimit({ caseloadLimit: 10 }))
      .thenEvents([{ type: "CaseloadLimitSet", data: { caseloadLimit: 10, previousLimit: 40 } }]);
  });

  it("an unknown coordinator is NotFound", () => {
    given([]).when(cmd.setLimit()).thenRejects({ type: "NotFound" });
  });

  it("rejects a limit outside 1..500 before looking at the state", () => {
    for (const caseloadLimit of [0, 501, "5", null]) given([]).when(cmd.setLimit({ caseloadLimit })).thenRejects({ type: "InvalidInput", field: "caseloadLimit" });
  });
});
