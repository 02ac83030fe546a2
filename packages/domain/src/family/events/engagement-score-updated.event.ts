import type { JsonValue } from "../../shared/json";
import { copyFamilyState } from "../family.state";
import { familyEvent } from "../family.kit";

export interface EngagementScoreUpdatedData {
  score: number;
  previousScore: number;
  factors: JsonValue | null;
}

export const engagementScoreUpdated = familyEvent({
  type: "EngagementScoreUpdated",
  schemaVersion: 1,
  personalData: ["factors"],
  evolve(state, data: EngagementScoreUpdatedData) {
    const next = copyFamilyState(state);
    next.engagementScore = data.score;
    return next;
  },
});
