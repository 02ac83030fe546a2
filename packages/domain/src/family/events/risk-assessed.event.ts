import type { JsonValue } from "../../shared/json";
import { copyFamilyState } from "../family.state";
import { familyEvent } from "../family.kit";
import type { RiskTier } from "../risk";

export interface RiskAssessedData {
  score: number;
  tier: RiskTier;
  previousScore: number;
  factors: JsonValue | null;
}

export const riskAssessed = familyEvent({
  type: "RiskAssessed",
  schemaVersion: 1,
  personalData: ["factors"],
  evolve(state, data: RiskAssessedData) {
    const next = copyFamilyState(state);
    next.riskScore = data.score;
    return next;
  },
});
