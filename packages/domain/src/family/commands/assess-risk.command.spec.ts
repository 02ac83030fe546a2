import { describe, it } from "vitest";
import { cmd, enrolled, given } from "../family.test-kit";

describe("AssessRisk", () => {
  it("derives the tier and reports 0 as the previous score the first time", () => {
    given(enrolled)
      .when(cmd.assessRisk({ score: 72, factors: ["late payments"] }))
      .thenEvents([{ type: "RiskAssessed", data: { score: 72, tier: "HIGH", previousScore: 0, factors: ["late payments"] } }]);
  });

  it("reports the score before this one, not the engagement score", () => {
    given([
      ...enrolled,
      { type: "RiskAssessed", data: { score: 90, tier: "CRITICAL", previousScore: 0, factors: null } },
      { type: "EngagementScoreUpdated", data: { score: 10, previousScore: 0, factors: null } },
    ])
      .when(cmd.assessRisk({ score: 100, factors: null }))
      .thenEvents([{ type: "RiskAssessed", data: { score: 100, tier: "CRITICAL", previousScore: 90, factors: null } }]);
  });

  it("accepts scalar JSON factors", () => {
    given(enrolled)
      .when(cmd.assessRisk({ score: 0, factors: "none" }))
      .thenEvents([{ type: "RiskAssessed", data: { score: 0, tier: "LOW", previousScore: 0, factors: "none" } }]);
  });
});
