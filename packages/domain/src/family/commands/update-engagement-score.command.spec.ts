import { describe, it } from "vitest";
import { cmd, enrolled, given } from "../family.test-kit";

describe("UpdateEngagementScore", () => {
  it("reports 0 as the previous score the first time", () => {
    given(enrolled)
      .when(cmd.updateEngagementScore({ score: 60, factors: { attendance: 0.8 } }))
      .thenEvents([{ type: "EngagementScoreUpdated", data: { score: 60, previousScore: 0, factors: { attendance: 0.8 } } }]);
  });

  it("reports the score before this one", () => {
    given([...enrolled, { type: "EngagementScoreUpdated", data: { score: 60, previousScore: 0, factors: null } }])
      .when(cmd.updateEngagementScore({ score: 45, factors: null }))
      .thenEvents([{ type: "EngagementScoreUpdated", data: { score: 45, previousScore: 60, factors: null } }]);
  });

  it("treats missing factors as null", () => {
    given(enrolled)
      .when(cmd.updateEngagementScore({ score: 0, factors: undefined }))
      .thenEvents([{ type: "EngagementScoreUpdated", data: { score: 0, previousScore: 0, factors: null } }]);
  });
});
